using System.IO.Hashing;
using System.Text;
using CsCheck;

namespace Simulator.Core.Tests;

/// <summary>Golden values: if any of these change, every user's objects move between versions.</summary>
public sealed class StableHashTests
{
    [Theory]
    [InlineData("", 5604079703740606211UL)]
    [InlineData("foo", 6076897603942036120UL)]
    [InlineData("user-42", 9942619603908622234UL)]
    public void Points_are_pinned(string text, ulong expected) => Assert.Equal(expected, StableHash.Point(text));

    [Theory]
    [InlineData("foo", "68456b10481b3c787f21b7b3f39cb0c6749dfad296aefa2b06ecd77b1841c19a")]
    [InlineData("bar", "c66b0bc71d600471f15ea792e6a7400d72da444c5917183e756fc8faf5d95661")]
    // SHA-256 of "dosim/durable-object-name/Counter/" + name, in lowercase hex.
    public void Ids_from_names_are_pinned(string name, string expected) => Assert.Equal(expected, DurableObjectId.FromName("Counter", name));

    [Fact]
    public void The_same_name_in_two_namespaces_names_two_objects() =>
        Gen.String.Sample(name =>
        {
            Assert.NotEqual(DurableObjectId.FromName("Counter", name), DurableObjectId.FromName("Room", name));
            Assert.Equal(DurableObjectId.FromName("Counter", name), DurableObjectId.FromName("Counter", name));
        });

    [Fact]
    public void The_seed_is_the_smallest_that_gives_the_docs_table()
    {
        static bool DocsTable(long seed)
        {
            double Fraction(string name) => StableHash.Point(DurableObjectId.FromName(RolloutTable.DocsClass, name), seed) / Math.Pow(2, 64);
            return Fraction("foo") < 0.2 && Fraction("bar") is >= 0.2 and < 0.5 && Fraction("baz") >= 0.5;
        }

        Assert.True(DocsTable(StableHash.Seed));
        Assert.DoesNotContain(Enumerable.Range(0, (int)StableHash.Seed), s => DocsTable(s));
    }

    // Texts up to 169 chars are encoded on the stack (UTF-8's worst case, 3 bytes a char plus 3,
    // is at most 512 bytes), longer ones in a rented array: both must hash the plain UTF-8 bytes.
    [Theory]
    [InlineData('x', 1)]
    [InlineData('x', 169)]
    [InlineData('x', 170)]
    [InlineData('x', 1000)]
    [InlineData('é', 169)]
    [InlineData('é', 170)]
    [InlineData('€', 400)]
    public void Points_are_xxhash3_of_the_utf8_bytes_on_both_sides_of_the_stack_limit(char c, int length)
    {
        var text = new string(c, length);
        Assert.Equal(XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(text), StableHash.Seed), StableHash.Point(text));
    }

    [Fact]
    public void Any_text_hashes_as_xxhash3_of_its_utf8_bytes() =>
        Gen.String[0, 600].Sample(text =>
            Assert.Equal(XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(text), StableHash.Seed), StableHash.Point(text)));

    [Fact]
    public void Object_ids_are_64_hex_digits()
    {
        Assert.True(DurableObjectId.IsValid(DurableObjectId.FromName("Counter", "foo")));
        Assert.True(DurableObjectId.IsValid(DurableObjectId.NewUnique()));
        Assert.NotEqual(DurableObjectId.NewUnique(), DurableObjectId.NewUnique());
        Assert.False(DurableObjectId.IsValid("foo"));
        Assert.False(DurableObjectId.IsValid(new string('G', 64)));
    }
}
