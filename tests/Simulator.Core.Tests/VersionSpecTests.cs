using CsCheck;

namespace Simulator.Core.Tests;

public sealed class VersionSpecTests
{
    [Fact]
    public void A_spec_without_a_percentage_gets_the_rest_split_evenly_as_wrangler_does()
    {
        Assert.Equal(["B@20%", "A@80%"], VersionSpec.WithEvenSplit(["B@20%", "A"]).ToArray());
        Assert.Equal(["B@50%", "A@50%"], VersionSpec.WithEvenSplit(["B", "A"]).ToArray());
        Assert.Equal(["B@100%"], VersionSpec.WithEvenSplit(["B"]).ToArray());
        Assert.Equal(["B@20%", "A@70%"], VersionSpec.WithEvenSplit(["B@20%", "A@70%"]).ToArray());
    }

    [Fact]
    public void The_filled_in_shares_always_sum_to_100()
    {
        Gen.Int[0, 100_000].Sample(thousandths =>
        {
            var given = thousandths / 1000m;
            var filled = VersionSpec.WithEvenSplit([$"B@{given}%", "A"]);
            var sum = filled.Sum(s => VersionSpec.TryParse(s, out var p) ? p.Percentage : throw new InvalidOperationException(s));
            Assert.Equal(100m, sum);
        });
    }
}
