using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Simulator.Core.StructuredFields;

/// <summary>Writes Structured Field values in their canonical form (RFC 9651 section 4.1).</summary>
public static class StructuredFieldSerializer
{
    public static string Serialize(StructuredDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        var output = new StringBuilder();
        foreach (var (key, member) in dictionary.Members)
        {
            if (output.Length > 0)
            {
                output.Append(", ");
            }

            output.Append(key);
            if (member is Item { Value: { Kind: BareItemKind.Boolean, Boolean: true } } item)
            {
                WriteParameters(output, item.Parameters);
            }
            else
            {
                output.Append('=');
                WriteMember(output, member);
            }
        }

        return output.ToString();
    }

    public static string Serialize(ImmutableArray<ListMember> list)
    {
        var output = new StringBuilder();
        foreach (var member in list)
        {
            if (output.Length > 0)
            {
                output.Append(", ");
            }

            WriteMember(output, member);
        }

        return output.ToString();
    }

    public static string Serialize(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var output = new StringBuilder();
        WriteMember(output, item);
        return output.ToString();
    }

    private static void WriteMember(StringBuilder output, ListMember member)
    {
        if (member is InnerList inner)
        {
            output.Append('(');
            for (var i = 0; i < inner.Items.Length; i++)
            {
                if (i > 0)
                {
                    output.Append(' ');
                }

                WriteMember(output, inner.Items[i]);
            }

            output.Append(')');
        }
        else
        {
            WriteBareItem(output, ((Item)member).Value);
        }

        WriteParameters(output, member.Parameters);
    }

    private static void WriteParameters(StringBuilder output, Parameters parameters)
    {
        foreach (var (key, value) in parameters.Members)
        {
            output.Append(';').Append(key);
            if (value is not { Kind: BareItemKind.Boolean, Boolean: true })
            {
                output.Append('=');
                WriteBareItem(output, value);
            }
        }
    }

    private static void WriteBareItem(StringBuilder output, BareItem item)
    {
        switch (item.Kind)
        {
            case BareItemKind.Integer:
                output.Append(item.Integer.ToString(CultureInfo.InvariantCulture));
                break;
            case BareItemKind.Decimal:
                WriteDecimal(output, item.Decimal);
                break;
            case BareItemKind.String:
                output.Append('"');
                foreach (var c in item.Text!)
                {
                    if (c is '"' or '\\')
                    {
                        output.Append('\\');
                    }

                    output.Append(c);
                }

                output.Append('"');
                break;
            case BareItemKind.Token:
                output.Append(item.Text);
                break;
            case BareItemKind.ByteSequence:
                output.Append(':').Append(Convert.ToBase64String(item.Bytes.AsSpan())).Append(':');
                break;
            case BareItemKind.Boolean:
                output.Append(item.Boolean ? "?1" : "?0");
                break;
            case BareItemKind.Date:
                output.Append('@').Append(item.Integer.ToString(CultureInfo.InvariantCulture));
                break;
            case BareItemKind.DisplayString:
                output.Append("%\"");
                foreach (var b in Encoding.UTF8.GetBytes(item.Text!))
                {
                    if (b is (byte)'%' or (byte)'"' or < 0x20 or > 0x7E)
                    {
                        output.Append('%').Append(b.ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append((char)b);
                    }
                }

                output.Append('"');
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(item), item.Kind, "Unknown bare item kind.");
        }
    }

    private static void WriteDecimal(StringBuilder output, decimal value)
    {
        var rounded = Math.Round(value, 3, MidpointRounding.ToEven);
        var text = rounded.ToString("0.0##", CultureInfo.InvariantCulture);
        output.Append(text);
    }
}
