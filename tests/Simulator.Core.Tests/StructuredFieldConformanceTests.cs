using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Simulator.Core.StructuredFields;

namespace Simulator.Core.Tests;

/// <summary>Every vector of the HTTP WG's structured-field-tests, read from ../shared/conformance.</summary>
public sealed class StructuredFieldConformanceTests
{
    private static readonly string Folder = Path.Combine(SharedFiles.Root, "conformance", "structured-field-tests");

    public static TheoryData<string, int> Vectors()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in Directory.GetFiles(Folder, "*.json").Order())
        {
            var count = JsonNode.Parse(File.ReadAllText(file))!.AsArray().Count;
            for (var i = 0; i < count; i++)
            {
                data.Add(Path.GetFileName(file), i);
            }
        }

        return data;
    }

    [Fact]
    public void The_suite_is_all_there() => Assert.True(Vectors().Count > 1500, $"only {Vectors().Count} vectors found in {Folder}");

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector(string file, int index)
    {
        var test = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, file)))!.AsArray()[index]!.AsObject();
        var name = (string)test["name"]!;
        var raw = string.Join(", ", test["raw"]!.AsArray().Select(r => (string)r!));
        var type = (string)test["header_type"]!;
        var mustFail = test["must_fail"] is { } mf && (bool)mf;
        var canFail = test["can_fail"] is { } cf && (bool)cf;

        var parsed = Parse(type, raw, out var error);
        if (mustFail)
        {
            Assert.True(parsed is null, $"'{name}': must fail, but parsed");
            return;
        }

        if (parsed is null)
        {
            Assert.True(canFail, $"'{name}': failed to parse '{raw}': {error}");
            return;
        }

        Assert.True(Same(test["expected"]!, parsed), $"'{name}': parsed {parsed.ToJsonString()} but expected {test["expected"]!.ToJsonString()}");

        var canonical = test["canonical"] is JsonArray c ? string.Join(", ", c.Select(v => (string)v!)) : raw;
        Assert.Equal(canonical, Serialize(type, raw));
    }

    private static JsonNode? Parse(string type, string raw, out string error)
    {
        switch (type)
        {
            case "item":
                return StructuredFieldParser.TryParseItem(raw, out var item, out error) ? ToJson(item) : null;
            case "list":
                return StructuredFieldParser.TryParseList(raw, out var list, out error) ? new JsonArray([.. list.Select(ToJson)]) : null;
            case "dictionary":
                return StructuredFieldParser.TryParseDictionary(raw, out var dictionary, out error)
                    ? new JsonArray([.. dictionary.Members.Select(m => new JsonArray(m.Key, ToJson(m.Value)))])
                    : null;
            default:
                throw new InvalidOperationException("unknown header type " + type);
        }
    }

    private static string Serialize(string type, string raw) => type switch
    {
        "item" => StructuredFieldSerializer.Serialize(StructuredFieldParser.ParseItem(raw)),
        "list" => StructuredFieldSerializer.Serialize(StructuredFieldParser.ParseList(raw)),
        _ => StructuredFieldSerializer.Serialize(StructuredFieldParser.ParseDictionary(raw)),
    };

    private static JsonNode ToJson(ListMember member) => member switch
    {
        InnerList inner => new JsonArray(new JsonArray([.. inner.Items.Select(ToJson)]), ToJson(inner.Parameters)),
        Item item => new JsonArray(ToJson(item.Value), ToJson(item.Parameters)),
        _ => throw new InvalidOperationException(),
    };

    private static JsonArray ToJson(Parameters parameters) =>
        new([.. parameters.Members.Select(p => new JsonArray(p.Key, ToJson(p.Value)))]);

    private static JsonNode ToJson(BareItem item) => item.Kind switch
    {
        BareItemKind.Integer => JsonValue.Create(item.Integer),
        BareItemKind.Decimal => JsonValue.Create(item.Decimal),
        BareItemKind.String => JsonValue.Create(item.Text)!,
        BareItemKind.Boolean => JsonValue.Create(item.Boolean),
        BareItemKind.Token => Typed("token", JsonValue.Create(item.Text)!),
        BareItemKind.ByteSequence => Typed("binary", JsonValue.Create(Base32(item.Bytes))),
        BareItemKind.Date => Typed("date", JsonValue.Create(item.Integer)),
        BareItemKind.DisplayString => Typed("displaystring", JsonValue.Create(item.Text)!),
        _ => throw new InvalidOperationException(),
    };

    private static JsonObject Typed(string type, JsonNode value) => new() { ["__type"] = type, ["value"] = value };

    // Numbers compare by value (1.0 equals 1.00); everything else structurally.
    private static bool Same(JsonNode? expected, JsonNode? actual)
    {
        switch (expected)
        {
            case null:
                return actual is null;
            case JsonArray e when actual is JsonArray a:
                return e.Count == a.Count && e.Zip(a).All(p => Same(p.First, p.Second));
            case JsonObject e when actual is JsonObject a:
                var expectedValue = e["value"];
                if ((string?)e["__type"] == "binary")
                {
                    // Compare decoded bytes: the vectors' base32 may omit padding.
                    return (string?)a["__type"] == "binary" && Base32Decode((string)expectedValue!).SequenceEqual(Base32Decode((string)a["value"]!));
                }

                return (string?)e["__type"] == (string?)a["__type"] && Same(expectedValue, a["value"]);
            case JsonValue e when actual is JsonValue a:
                if (e.GetValueKind() == System.Text.Json.JsonValueKind.Number)
                {
                    return a.GetValueKind() == System.Text.Json.JsonValueKind.Number && Number(e) == Number(a);
                }

                return JsonNode.DeepEquals(e, a);
            default:
                return false;
        }
    }

    private static decimal Number(JsonValue value) =>
        decimal.Parse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);

    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private static string Base32(ImmutableArray<byte> bytes)
    {
        var output = new System.Text.StringBuilder();
        for (var i = 0; i < bytes.Length; i += 5)
        {
            var chunk = bytes.Skip(i).Take(5).ToArray();
            ulong buffer = 0;
            for (var j = 0; j < 5; j++)
            {
                buffer = (buffer << 8) | (j < chunk.Length ? chunk[j] : 0u);
            }

            var chars = (chunk.Length * 8 + 4) / 5;
            for (var j = 0; j < 8; j++)
            {
                output.Append(j < chars ? Base32Alphabet[(int)((buffer >> (35 - j * 5)) & 31)] : '=');
            }
        }

        return output.ToString();
    }

    private static byte[] Base32Decode(string text)
    {
        var output = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('='))
        {
            buffer = (buffer << 5) | Base32Alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. output];
    }
}
