namespace Simulator.Core.Tests;

/// <summary>Golden values: if any of these change, every user's objects move between versions.</summary>
public sealed class StableHashTests
{
    [Theory]
    [InlineData("", 1942873569293493936UL)]
    [InlineData("foo", 3507467617445812106UL)]
    [InlineData("user-42", 10553504366963951995UL)]
    public void Points_are_pinned(string text, ulong expected) => Assert.Equal(expected, StableHash.Point(text));

    [Theory]
    [InlineData("foo", "f7df384e7f4c5d33b51db61f35702d5629b04cebb60f496244e1a103e0242c76")]
    [InlineData("bar", "1717c34ba9d0cfe5f7031a054df77f42909d2eba13c4d1124f4813d79c345aaa")]
    // SHA-256 of "dosim/durable-object-name/" + name, in lowercase hex.
    public void Ids_from_names_are_pinned(string name, string expected) => Assert.Equal(expected, DurableObjectId.FromName(name));

    [Fact]
    public void The_seed_is_the_smallest_that_gives_the_docs_table()
    {
        static bool DocsTable(long seed)
        {
            double Fraction(string name) => StableHash.Point(DurableObjectId.FromName(name), seed) / Math.Pow(2, 64);
            return Fraction("foo") < 0.2 && Fraction("bar") is >= 0.2 and < 0.5 && Fraction("baz") >= 0.5;
        }

        Assert.True(DocsTable(StableHash.Seed));
        Assert.DoesNotContain(Enumerable.Range(0, (int)StableHash.Seed), s => DocsTable(s));
    }

    [Fact]
    public void Long_ids_hash_like_short_ones() =>
        Assert.Equal(StableHash.Point(new string('x', 1000)), StableHash.Point(new string('x', 1000).AsSpan()));

    [Fact]
    public void Object_ids_are_64_hex_digits()
    {
        Assert.True(DurableObjectId.IsValid(DurableObjectId.FromName("foo")));
        Assert.True(DurableObjectId.IsValid(DurableObjectId.NewUnique()));
        Assert.NotEqual(DurableObjectId.NewUnique(), DurableObjectId.NewUnique());
        Assert.False(DurableObjectId.IsValid("foo"));
        Assert.False(DurableObjectId.IsValid(new string('G', 64)));
    }
}
