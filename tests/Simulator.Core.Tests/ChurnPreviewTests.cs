using CsCheck;
using static Simulator.Core.Tests.TestWorkers;

namespace Simulator.Core.Tests;

public sealed class ChurnPreviewTests
{
    private static readonly Guid A = new("aaaaaaaa-0000-0000-0000-000000000000");
    private static readonly Guid B = new("bbbbbbbb-0000-0000-0000-000000000000");
    private static readonly Guid C = new("cccccccc-0000-0000-0000-000000000000");

    [Fact]
    public void Raising_B_from_20_to_50_moves_exactly_30_percent_from_A_to_B()
    {
        var preview = ChurnPreview.Compute(Split((B, 20), (A, 80)), Split((B, 50), (A, 50)));
        var pair = Assert.Single(preview.Pairs);
        Assert.Equal((A, B), (pair.From, pair.To));
        Assert.Equal((((UInt128)50_000 << 64) / 100_000) - (((UInt128)20_000 << 64) / 100_000), pair.Points);
        Assert.Equal(0.3, preview.ChangedShare, 12);
        Assert.Empty(preview.Warnings);
    }

    [Fact]
    public void The_first_deployment_moves_nothing()
    {
        var preview = ChurnPreview.Compute(null, Split((A, 100)));
        Assert.Empty(preview.Pairs);
        Assert.Empty(preview.ChangedObjects(["x", "y"]));
    }

    [Fact]
    public void A_reordered_deployment_is_flagged_for_every_version_that_loses_objects_without_shrinking() =>
        Gen.Int[1, 99_999].Sample(x =>
        {
            var a = x / 1000m;
            var preview = ChurnPreview.Compute(Split((A, a), (B, 100 - a)), Split((B, 100 - a), (A, a)));
            Assert.Equal(2, preview.Warnings.Count);
            Assert.Contains(preview.Warnings, w => w.Contains(A.ToString(), StringComparison.Ordinal));
            Assert.Contains(preview.Warnings, w => w.Contains(B.ToString(), StringComparison.Ordinal));
        });

    [Fact]
    public void Pairs_and_unchanged_points_add_up_to_the_whole_space() =>
        Gen.Select(Gen.Int[0, 100_000], Gen.Int[0, 100_000], Gen.Bool).Sample((x, y, reorder) =>
        {
            var current = Split((A, x / 1000m), (B, 100 - (x / 1000m)));
            var proposed = reorder ? Split((C, y / 1000m), (A, 100 - (y / 1000m))) : Split((A, y / 1000m), (C, 100 - (y / 1000m)));
            var preview = ChurnPreview.Compute(current, proposed);
            UInt128 unchanged = 0;
            foreach (var (version, start, end) in preview.Current!.Ranges())
            {
                foreach (var (other, otherStart, otherEnd) in preview.Proposed.Ranges())
                {
                    if (version == other && UInt128.Min(end, otherEnd) > UInt128.Max(start, otherStart))
                    {
                        unchanged += UInt128.Min(end, otherEnd) - UInt128.Max(start, otherStart);
                    }
                }
            }

            Assert.Equal(VersionRanges.SpaceSize, preview.ChangedPoints + unchanged);
        });

    [Fact]
    public void Changed_objects_are_exactly_those_whose_version_differs() =>
        Gen.Select(Gen.Int[0, 100_000], Gen.Int[0, 100_000], Gen.String.Array[50]).Sample((x, y, ids) =>
        {
            var current = Split((A, x / 1000m), (B, 100 - (x / 1000m)));
            var proposed = Split((B, y / 1000m), (A, 100 - (y / 1000m)));
            var preview = ChurnPreview.Compute(current, proposed);
            var expected = ids.Where(id => VersionRanges.From(current).VersionFor(id) != VersionRanges.From(proposed).VersionFor(id)).ToList();
            var changes = preview.ChangedObjects(ids);
            Assert.Equal(expected, changes.Select(c => c.ObjectId));
            Assert.All(changes, c => Assert.Equal(VersionRanges.From(proposed).VersionFor(c.ObjectId), c.To));
        });
}
