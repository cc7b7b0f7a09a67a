using CsCheck;
using static Simulator.Core.Tests.TestWorkers;

namespace Simulator.Core.Tests;

public sealed class VersionRangesTests
{
    private static readonly Guid A = new("aaaaaaaa-0000-0000-0000-000000000000");
    private static readonly Guid B = new("bbbbbbbb-0000-0000-0000-000000000000");

    // A split [A x%, B (100-x)%] with x in thousandths of a percent.
    private static VersionRanges AB(int thousandthsOfA) =>
        VersionRanges.From(Shares((A, thousandthsOfA / 1000m), (B, 100 - (thousandthsOfA / 1000m))));

    private static readonly Gen<int> Thousandths = Gen.OneOf(Gen.Int[0, 100_000], Gen.Const(0), Gen.Const(1), Gen.Const(99_999), Gen.Const(100_000));

    [Fact]
    public void A_point_falls_in_exactly_one_range_and_ranges_tile_the_space() =>
        Gen.Select(Thousandths, Gen.ULong).Sample((x, point) =>
        {
            var ranges = AB(x);
            var holding = ranges.Ranges().Where(r => point >= r.Start && point < r.End).ToList();
            Assert.Single(holding);
            Assert.Equal(holding[0].Version, ranges.VersionAt(point));
            var all = ranges.Ranges().ToList();
            Assert.Equal(UInt128.Zero, all[0].Start);
            Assert.Equal(VersionRanges.SpaceSize, all[^1].End);
            Assert.Equal(all[0].End, all[1].Start);
        });

    [Fact]
    public void Range_sizes_are_the_percentages_exactly() =>
        Thousandths.Sample(x =>
        {
            var expected = ((UInt128)(ulong)x << 64) / 100_000;
            Assert.Equal(expected, AB(x).Size(A));
            Assert.Equal(VersionRanges.SpaceSize - expected, AB(x).Size(B));
        });

    // The object's version is decided by its point alone, against the boundary worked out here
    // independently: A below x/100 of the space, B from there on.
    [Fact]
    public void An_object_runs_the_version_whose_range_holds_its_point() =>
        Gen.Select(Thousandths, Gen.String).Sample((x, id) =>
        {
            var boundary = ((UInt128)(ulong)x << 64) / 100_000;
            var expected = StableHash.Point(id) < boundary ? A : B;
            Assert.Equal(expected, AB(x).VersionFor(id));
        });

    [Fact]
    public void Raising_one_versions_share_in_the_same_order_never_moves_an_object_off_it() =>
        Gen.Select(Thousandths, Gen.Int[0, 100_000].Array[1, 12], Gen.ULong.Array[200]).Sample((start, steps, points) =>
        {
            var current = start;
            foreach (var next in steps)
            {
                var before = AB(current);
                var after = AB(next);
                // next > current raises A; next < current raises B.
                var raised = next >= current ? A : B;
                foreach (var point in points)
                {
                    if (before.VersionAt(point) == raised)
                    {
                        Assert.Equal(raised, after.VersionAt(point));
                    }
                }

                Assert.Empty(ChurnPreview.Compute(Split((A, current / 1000m), (B, 100 - (current / 1000m))), Split((A, next / 1000m), (B, 100 - (next / 1000m)))).Warnings);
                current = next;
            }
        });

    // Two versions whose percentages add up to an accepted sum: within 0.001 of 100.
    private static readonly Gen<(int A, int B)> AcceptedSplit =
        Gen.Select(Thousandths, Gen.Int[-1, 1]).Select((a, d) => (a, Math.Clamp(100_000 - a + d, 0, 100_000)));

    private static (UInt128 Start, UInt128 End) RangeOf(VersionRanges ranges, Guid version)
    {
        var (_, start, end) = ranges.Ranges().Single(r => r.Version == version);
        return (start, end);
    }

    // A next split near the first one (where the tolerance matters) or anywhere.
    private static readonly Gen<((int A, int B) Before, (int A, int B) After)> AcceptedPair =
        AcceptedSplit.SelectMany(before => Gen.Select(Gen.OneOf(Gen.Int[-2, 2], Gen.Int[-100_000, 100_000]), Gen.Int[-1, 1]).Select((step, d) =>
        {
            var a = Math.Clamp(before.A + step, 0, 100_000);
            return (before, (a, Math.Clamp(100_000 - a + d, 0, 100_000)));
        }));

    [Fact]
    public void Within_the_sum_tolerance_a_raised_share_keeps_every_object_of_its_version() =>
        AcceptedPair.Sample(pair =>
        {
            var (before, after) = pair;
            var current = Split((A, before.A / 1000m), (B, before.B / 1000m));
            var proposed = Split((A, after.A / 1000m), (B, after.B / 1000m));
            var (currentRanges, proposedRanges) = (VersionRanges.From(current), VersionRanges.From(proposed));
            foreach (var (version, was, now) in new[] { (A, before.A, after.A), (B, before.B, after.B) })
            {
                if (now > was)
                {
                    var (start, end) = RangeOf(currentRanges, version);
                    var (newStart, newEnd) = RangeOf(proposedRanges, version);
                    Assert.True(newStart <= start && newEnd >= end, $"{version} raised {was} -> {now} thousandths yet its range shrank");
                }
            }

            // Same order: no warning, whatever moved.
            Assert.Empty(ChurnPreview.Compute(current, proposed).Warnings);
        }, iter: 5_000);

    [Fact]
    public void Both_shares_raised_within_the_tolerance_move_nothing()
    {
        var preview = ChurnPreview.Compute(Split((A, 50m), (B, 49.999m)), Split((A, 50.001m), (B, 50m)));
        Assert.Empty(preview.Pairs);
        Assert.Empty(preview.Warnings);
    }

    [Fact]
    public void A_rollout_toward_one_version_changes_each_object_at_most_once() =>
        Gen.Int[0, 100_000].Array[1, 10].Select(Gen.ULong.Array[300]).Sample((steps, points) =>
        {
            // B listed first and only ever raised, from A alone to B alone, as in the docs.
            var sequence = new List<VersionRanges> { VersionRanges.From(Shares((A, 100))) };
            sequence.AddRange(steps.Order().Select(b => VersionRanges.From(Shares((B, b / 1000m), (A, 100 - (b / 1000m))))));
            sequence.Add(VersionRanges.From(Shares((B, 100))));
            foreach (var point in points)
            {
                var changes = sequence.Zip(sequence.Skip(1)).Count(p => p.First.VersionAt(point) != p.Second.VersionAt(point));
                Assert.Equal(1, changes);
            }
        });

    // 100,000 ids land on each version within 6 standard deviations of the binomial count
    // n·p ± 6·sqrt(n·p·(1−p)) + 1: a false failure has odds below 1 in 10^8 per check.
    private static readonly ulong[] HundredThousandObjects =
        [.. Enumerable.Range(0, 100_000).Select(i => StableHash.Point(DurableObjectId.FromName("Counter", "object-" + i)))];

    [Fact]
    public void Objects_land_on_each_version_in_proportion_to_its_share() =>
        Thousandths.Sample(x =>
        {
            var ranges = AB(x);
            var onA = HundredThousandObjects.Count(p => ranges.VersionAt(p) == A);
            var p = x / 100_000.0;
            var n = HundredThousandObjects.Length;
            var tolerance = (6 * Math.Sqrt(n * p * (1 - p))) + 1;
            Assert.InRange(onA, (n * p) - tolerance, (n * p) + tolerance);
        }, iter: 40);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(99_999)]
    [InlineData(100_000)]
    public void Extreme_shares_hold_exactly_what_they_should(int x)
    {
        var onA = HundredThousandObjects.Count(p => AB(x).VersionAt(p) == A);
        if (x == 0)
        {
            Assert.Equal(0, onA);
        }
        else if (x == 100_000)
        {
            Assert.Equal(100_000, onA);
        }
        else
        {
            Assert.InRange(onA, x == 1 ? 0 : 99_990, x == 1 ? 10 : 100_000);
        }
    }

    [Fact]
    public void Malformed_shares_are_refused()
    {
        Assert.Throws<ArgumentException>(() => VersionRanges.From(Shares()));
        Assert.Throws<ArgumentException>(() => VersionRanges.From(Shares((A, 0))));
        Assert.Throws<ArgumentException>(() => VersionRanges.From(Shares((A, 0.0001m))));
    }
}
