using CsCheck;
using Simulator.Core.Analytics;

namespace Simulator.Core.Tests;

public sealed class SkewCellTests
{
    private static readonly Guid[] Versions = [Guid.Parse("00000000-0000-0000-0000-00000000000a"), Guid.Parse("00000000-0000-0000-0000-00000000000b")];
    private static readonly Guid[] Deployments = [Guid.Parse("00000000-0000-0000-0000-0000000000d1"), Guid.Parse("00000000-0000-0000-0000-0000000000d2"), Guid.Parse("00000000-0000-0000-0000-0000000000d3")];

    // Cells as silos report them: the same key may come from several silos.
    private static readonly Gen<SkewCell[]> Cells =
        Gen.Select(Gen.OneOfConst("Counter", "Room"), Gen.OneOfConst(Deployments), Gen.OneOfConst(Versions), Gen.OneOfConst(Versions), Gen.Long[0, 1_000], Gen.Long[0, 1_000])
            .Select((c, d, caller, obj, requests, errors) => new SkewCell(c, d, caller, obj, requests + errors, errors))
            .Array[0, 40];

    [Fact]
    public void Merging_keeps_every_call_and_error_under_its_pair_and_gives_one_cell_per_pair()
    {
        Cells.Sample(cells =>
        {
            var merged = SkewCell.Merge(cells, Deployments);
            var keys = merged.Select(c => (c.ClassName, c.DeploymentId, c.CallerVersionId, c.ObjectVersionId)).ToList();
            return keys.Count == keys.Distinct().Count()
                && merged.All(m => m.Requests == cells.Where(c => (c.ClassName, c.DeploymentId, c.CallerVersionId, c.ObjectVersionId) == (m.ClassName, m.DeploymentId, m.CallerVersionId, m.ObjectVersionId)).Sum(c => c.Requests))
                && merged.Sum(m => m.Errors) == cells.Sum(c => c.Errors)
                && merged.Count == cells.Select(c => (c.ClassName, c.DeploymentId, c.CallerVersionId, c.ObjectVersionId)).Distinct().Count();
        });
    }

    [Fact]
    public void The_merge_does_not_depend_on_which_silo_answered_first_and_follows_the_deployment_order()
    {
        Cells.Sample(cells =>
        {
            var order = Deployments.Reverse().ToList();
            var merged = SkewCell.Merge(cells, order);
            var shuffled = SkewCell.Merge(cells.Reverse(), order);
            var ranks = merged.Select(c => (c.ClassName, order.IndexOf(c.DeploymentId))).ToList();
            return merged.SequenceEqual(shuffled) && ranks.SequenceEqual(ranks.OrderBy(r => r.ClassName, StringComparer.Ordinal).ThenBy(r => r.Item2));
        });
    }

    [Fact]
    public void A_cell_is_skewed_when_caller_and_object_run_different_versions_and_its_error_rate_is_errors_over_calls()
    {
        var cell = new SkewCell("Counter", Deployments[0], Versions[1], Versions[0], 8, 2);
        Assert.True(cell.Skewed);
        Assert.Equal(0.25, cell.ErrorRate);
        Assert.False((cell with { ObjectVersionId = Versions[1] }).Skewed);
        Assert.Null((cell with { Requests = 0, Errors = 0 }).ErrorRate);
    }
}
