using CsCheck;
using Simulator.Core.Analytics;

namespace Simulator.Core.Tests;

public sealed class ReplayPlanTests
{
    private static readonly Gen<ReplayPlan> Plans =
        Gen.Select(Gen.Int[1, 3_000], Gen.Int[1, 12], Gen.Int[1, 900], Gen.Int[1, 120])
            .Select((objects, deploys, every, requestEvery) => new ReplayPlan(objects, deploys, TimeSpan.FromSeconds(every), TimeSpan.FromSeconds(requestEvery)));

    [Fact]
    public void The_requests_come_at_the_start_and_every_period_after_it()
    {
        Plans.Sample(plan =>
        {
            var period = (long)plan.RequestEvery.TotalSeconds;
            var seconds = Enumerable.Range(0, 3 * (int)period + 1).Select(s => (long)s).Where(plan.RequestsAt).ToList();
            return seconds.SequenceEqual([0, period, 2 * period, 3 * period]) && plan.Validate() is null;
        });
    }

    [Fact]
    public void The_deploys_come_one_interval_apart_and_the_replay_outlasts_the_last_by_an_interval_and_the_update_delay()
    {
        Plans.Where(p => p.Every.TotalSeconds * (p.Deploys + 1) < 15_000).Select(Gen.Int[0, 900]).Sample((generated, delay) =>
        {
            var plan = generated with { UpdateDelay = TimeSpan.FromSeconds(delay) };
            var deploys = Enumerable.Range(0, (int)plan.Length.TotalSeconds).Select(s => (Second: s, Deploy: plan.DeployAt(s))).Where(d => d.Deploy != 0).ToList();
            var tail = plan.Length - TimeSpan.FromSeconds(deploys[^1].Second);
            return deploys.Select(d => d.Deploy).SequenceEqual(Enumerable.Range(1, plan.Deploys))
                && deploys.All(d => d.Second == d.Deploy * (long)plan.Every.TotalSeconds)
                && tail >= plan.Every
                && (delay == 0 ? tail == plan.Every : tail >= plan.UpdateDelay + plan.RequestEvery)
                && (tail == plan.Every || tail == plan.UpdateDelay + plan.RequestEvery);
        });
    }

    [Theory]
    [InlineData(0, 5, 600, 5, "objects are 0")]
    [InlineData(10, 0, 600, 5, "deploys are 0")]
    [InlineData(10, 5, 0.5, 5, "whole seconds")]
    [InlineData(10, 5, 600, 1.5, "time between an object's requests")]
    [InlineData(10, 1000, 86_400, 5, "31 days")]
    public void A_plan_that_cannot_run_is_refused_with_what_to_change(int objects, int deploys, double every, double requestEvery, string says)
    {
        var error = new ReplayPlan(objects, deploys, TimeSpan.FromSeconds(every), TimeSpan.FromSeconds(requestEvery)).Validate();
        Assert.NotNull(error);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_objects_time_on_its_versions_adds_up_to_its_life_and_ends_on_its_last_version()
    {
        var start = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        var versions = Enumerable.Range(0, 4).Select(i => Guid.Parse($"00000000-0000-0000-0000-00000000000{i}")).ToArray();
        Gen.Select(Gen.Int[0, 3], Gen.Select(Gen.Int[0, 10_000], Gen.Int[0, 3]).Array[0, 8], Gen.Int[0, 10_000]).Sample((first, resets, length) =>
        {
            var end = start.AddSeconds(length);
            var moves = resets.Select(r => (At: start.AddSeconds(r.Item1), To: versions[r.Item2])).ToList();
            var spans = VersionTimeline.TimeOnVersions(start, versions[first], moves, end);
            var within = moves.Where(m => m.At <= end).OrderBy(m => m.At).ToList();
            var last = within.Count == 0 ? versions[first] : within[^1].To;
            return spans.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b) == end - start
                && spans.ContainsKey(last)
                && spans.Values.All(s => s >= TimeSpan.Zero);
        });
    }
}
