using CsCheck;
using Simulator.Core.StructuredFields;

namespace Simulator.Core.Tests;

/// <summary>Generated values: what the serializer writes, the parser reads back exactly, and the text is canonical.</summary>
public sealed class StructuredFieldPropertyTests
{
    private static readonly Gen<string> Key =
        Gen.Select(Gen.Char["abcdefghijklmnopqrstuvwxyz*"], Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789_-.*"].Array[0, 12])
            .Select((first, rest) => first + new string(rest));

    private static readonly Gen<BareItem> Bare = Gen.OneOf(
        Gen.Long[-999_999_999_999_999, 999_999_999_999_999].Select(BareItem.FromInteger),
        Gen.Long[-999_999_999_999_999, 999_999_999_999_999].Select(n => BareItem.FromDecimal(n / 1000m)),
        Gen.Char[' ', '~'].Array[0, 20].Select(c => BareItem.FromString(new string(c))),
        Gen.Select(Gen.Char["abcXYZ*"], Gen.Char["abcXYZ019!#$%&'*+-.^_`|~:/"].Array[0, 10]).Select((f, r) => BareItem.FromToken(f + new string(r))),
        Gen.Byte.Array[0, 16].Select(b => BareItem.FromBytes([.. b])),
        Gen.Bool.Select(BareItem.FromBoolean),
        Gen.Long[-62_135_596_800, 253_402_300_799].Select(BareItem.FromDate),
        Gen.String.Select(BareItem.FromDisplayString));

    private static readonly Gen<Parameters> Params =
        Gen.Select(Key, Bare).Array[0, 3].Select(p => new Parameters([.. p.DistinctBy(x => x.Item1).Select(x => new KeyValuePair<string, BareItem>(x.Item1, x.Item2))]));

    private static readonly Gen<Item> ItemGen = Gen.Select(Bare, Params).Select((b, p) => new Item(b, p));

    private static readonly Gen<ListMember> Member = Gen.OneOf<ListMember>(
        ItemGen.Select(i => (ListMember)i),
        Gen.Select(ItemGen.Array[0, 3], Params).Select((items, p) => (ListMember)new InnerList([.. items], p)));

    private static readonly Gen<StructuredDictionary> Dictionary =
        Gen.Select(Key, Member).Array[0, 5].Select(m => new StructuredDictionary([.. m.DistinctBy(x => x.Item1).Select(x => new KeyValuePair<string, ListMember>(x.Item1, x.Item2))]));

    [Fact]
    public void A_serialized_dictionary_parses_back_to_itself_and_is_canonical() =>
        Dictionary.Sample(dictionary =>
        {
            var text = StructuredFieldSerializer.Serialize(dictionary);
            Assert.True(StructuredFieldParser.TryParseDictionary(text, out var parsed, out var error), $"'{text}': {error}");
            Assert.Equal(text, StructuredFieldSerializer.Serialize(parsed));
            Assert.Equal(dictionary.Members.Select(m => m.Key), parsed.Members.Select(m => m.Key));
            Assert.All(dictionary.Members.Zip(parsed.Members), p => Assert.True(Same(p.First.Value, p.Second.Value), text));
        });

    [Fact]
    public void An_override_for_any_worker_name_reads_back_its_version() =>
        Gen.Select(Key.Where(k => k[0] != '*' && k.All(c => c is not ('*' or '_' or '.'))), Gen.Guid).Sample((worker, version) =>
        {
            var header = StructuredFieldSerializer.Serialize(new StructuredDictionary([new(worker, new Item(BareItem.FromString(version.ToString()), Parameters.Empty))]));
            var ranges = VersionRanges.From([new VersionShare(version, 100)]);
            Assert.True(VersionSelector.TryReadOverride(header, worker, ranges, out var read));
            Assert.Equal(version, read);
        });

    private static bool Same(ListMember a, ListMember b) => (a, b) switch
    {
        (Item x, Item y) => x.Value.Equals(y.Value) && Same(x.Parameters, y.Parameters),
        (InnerList x, InnerList y) => x.Items.Length == y.Items.Length && x.Items.Zip(y.Items).All(p => Same(p.First, p.Second)) && Same(x.Parameters, y.Parameters),
        _ => false,
    };

    private static bool Same(Parameters a, Parameters b) =>
        a.Members.Length == b.Members.Length && a.Members.Zip(b.Members).All(p => p.First.Key == p.Second.Key && p.First.Value.Equals(p.Second.Value));
}
