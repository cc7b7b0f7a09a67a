using System.Collections.Immutable;

namespace Simulator.Core.StructuredFields;

/// <summary>The kinds of bare item RFC 9651 defines.</summary>
public enum BareItemKind
{
    Integer,
    Decimal,
    String,
    Token,
    ByteSequence,
    Boolean,
    Date,
    DisplayString,
}

/// <summary>One RFC 9651 bare item. Integer and Date use <see cref="Integer"/>; String, Token and
/// Display String use <see cref="Text"/>.</summary>
public readonly record struct BareItem
{
    private BareItem(BareItemKind kind, long integer = 0, decimal @decimal = 0, string? text = null, ImmutableArray<byte> bytes = default, bool boolean = false)
    {
        Kind = kind;
        Integer = integer;
        Decimal = @decimal;
        Text = text;
        Bytes = bytes;
        Boolean = boolean;
    }

    public BareItemKind Kind { get; }
    public long Integer { get; }
    public decimal Decimal { get; }
    public string? Text { get; }
    public ImmutableArray<byte> Bytes { get; }
    public bool Boolean { get; }

    public static BareItem FromInteger(long value) => new(BareItemKind.Integer, integer: value);
    public static BareItem FromDecimal(decimal value) => new(BareItemKind.Decimal, @decimal: value);
    public static BareItem FromString(string value) => new(BareItemKind.String, text: value);
    public static BareItem FromToken(string value) => new(BareItemKind.Token, text: value);
    public static BareItem FromBytes(ImmutableArray<byte> value) => new(BareItemKind.ByteSequence, bytes: value);
    public static BareItem FromBoolean(bool value) => new(BareItemKind.Boolean, boolean: value);
    public static BareItem FromDate(long secondsSinceEpoch) => new(BareItemKind.Date, integer: secondsSinceEpoch);
    public static BareItem FromDisplayString(string value) => new(BareItemKind.DisplayString, text: value);

    public bool Equals(BareItem other) =>
        Kind == other.Kind && Integer == other.Integer && Decimal == other.Decimal && Text == other.Text
        && Boolean == other.Boolean && Bytes.IsDefault == other.Bytes.IsDefault
        && (Bytes.IsDefault || Bytes.SequenceEqual(other.Bytes));

    public override int GetHashCode() => HashCode.Combine(Kind, Integer, Decimal, Text, Boolean);
}

/// <summary>An ordered map of parameters; a repeated key keeps its first position and its last value.</summary>
public sealed record Parameters(ImmutableArray<KeyValuePair<string, BareItem>> Members)
{
    public static Parameters Empty { get; } = new(ImmutableArray<KeyValuePair<string, BareItem>>.Empty);
}

/// <summary>A member of a List or Dictionary: an <see cref="Item"/> or an <see cref="InnerList"/>.</summary>
public abstract record ListMember(Parameters Parameters);

public sealed record Item(BareItem Value, Parameters Parameters) : ListMember(Parameters);

public sealed record InnerList(ImmutableArray<Item> Items, Parameters Parameters) : ListMember(Parameters);

/// <summary>An RFC 9651 Dictionary: ordered members, keys unique.</summary>
public sealed record StructuredDictionary(ImmutableArray<KeyValuePair<string, ListMember>> Members)
{
    /// <summary>The member with this key, or null.</summary>
    public ListMember? this[string key]
    {
        get
        {
            foreach (var member in Members)
            {
                if (member.Key == key)
                {
                    return member.Value;
                }
            }

            return null;
        }
    }
}
