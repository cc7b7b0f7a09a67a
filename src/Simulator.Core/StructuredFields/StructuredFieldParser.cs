using System.Collections.Immutable;
using System.Text;

namespace Simulator.Core.StructuredFields;

/// <summary>
/// Parses HTTP Structured Field values (RFC 9651) exactly as section 4.2 of the RFC describes.
/// Several field lines of one field are combined with ", " before parsing, as the RFC requires.
/// </summary>
public static class StructuredFieldParser
{
    private const long MaxInteger = 999_999_999_999_999;

    public static StructuredDictionary ParseDictionary(string value) =>
        TryParseDictionary(value, out var result, out var error) ? result : throw new FormatException(error);

    public static ImmutableArray<ListMember> ParseList(string value) =>
        TryParseList(value, out var result, out var error) ? result : throw new FormatException(error);

    public static Item ParseItem(string value) =>
        TryParseItem(value, out var result, out var error) ? result : throw new FormatException(error);

    public static bool TryParseDictionary(string value, out StructuredDictionary result, out string error) =>
        TryParse(value, static (ref Reader r) => r.ReadDictionary(), out result, out error);

    public static bool TryParseList(string value, out ImmutableArray<ListMember> result, out string error) =>
        TryParse(value, static (ref Reader r) => r.ReadList(), out result, out error);

    public static bool TryParseItem(string value, out Item result, out string error) =>
        TryParse(value, static (ref Reader r) => r.ReadItem(), out result, out error);

    private delegate T ReadTop<T>(ref Reader reader);

    private static bool TryParse<T>(string value, ReadTop<T> read, out T result, out string error)
    {
        ArgumentNullException.ThrowIfNull(value);
        var reader = new Reader(value.AsSpan().Trim(' '));
        try
        {
            result = read(ref reader);
            if (!reader.AtEnd)
            {
                throw new InvalidFieldException($"unexpected '{reader.Peek}' at position {reader.Position}");
            }

            error = string.Empty;
            return true;
        }
        catch (InvalidFieldException ex)
        {
            result = default!;
            error = "Invalid structured field: " + ex.Message + ".";
            return false;
        }
    }

    private sealed class InvalidFieldException(string message) : Exception(message);

    private ref struct Reader(ReadOnlySpan<char> input)
    {
        private readonly ReadOnlySpan<char> _input = input;
        private int _position;

        public readonly bool AtEnd => _position >= _input.Length;
        public readonly int Position => _position;
        public readonly char Peek => _position < _input.Length ? _input[_position] : '\0';

        private char Next()
        {
            if (AtEnd)
            {
                throw Fail("unexpected end of value");
            }

            return _input[_position++];
        }

        private static InvalidFieldException Fail(string reason) => new(reason);

        private void SkipSpaces()
        {
            while (!AtEnd && _input[_position] == ' ')
            {
                _position++;
            }
        }

        private void SkipOptionalWhitespace()
        {
            while (!AtEnd && (_input[_position] == ' ' || _input[_position] == '\t'))
            {
                _position++;
            }
        }

        // After a member: end of input, or a comma followed by another member.
        private bool MoreMembers()
        {
            SkipOptionalWhitespace();
            if (AtEnd)
            {
                return false;
            }

            if (Next() != ',')
            {
                throw Fail($"expected ',' between members at position {_position - 1}");
            }

            SkipOptionalWhitespace();
            if (AtEnd)
            {
                throw Fail("trailing comma");
            }

            return true;
        }

        public ImmutableArray<ListMember> ReadList()
        {
            var members = ImmutableArray.CreateBuilder<ListMember>();
            if (AtEnd)
            {
                return members.ToImmutable();
            }

            do
            {
                members.Add(ReadItemOrInnerList());
            }
            while (MoreMembers());

            return members.ToImmutable();
        }

        public StructuredDictionary ReadDictionary()
        {
            var members = ImmutableArray.CreateBuilder<KeyValuePair<string, ListMember>>(1);
            if (AtEnd)
            {
                return new StructuredDictionary(members.ToImmutable());
            }

            do
            {
                var key = ReadKey();
                ListMember member;
                if (Peek == '=')
                {
                    _position++;
                    member = ReadItemOrInnerList();
                }
                else
                {
                    member = new Item(BareItem.FromBoolean(true), ReadParameters());
                }

                SetMember(members, key, member);
            }
            while (MoreMembers());

            return new StructuredDictionary(members.Count == members.Capacity ? members.MoveToImmutable() : members.ToImmutable());
        }

        private static void SetMember<T>(ImmutableArray<KeyValuePair<string, T>>.Builder members, string key, T value)
        {
            for (var i = 0; i < members.Count; i++)
            {
                if (members[i].Key == key)
                {
                    members[i] = new(key, value);
                    return;
                }
            }

            members.Add(new(key, value));
        }

        private ListMember ReadItemOrInnerList() => Peek == '(' ? ReadInnerList() : ReadItem();

        private InnerList ReadInnerList()
        {
            _position++;
            var items = ImmutableArray.CreateBuilder<Item>();
            while (!AtEnd)
            {
                SkipSpaces();
                if (Peek == ')')
                {
                    _position++;
                    return new InnerList(items.ToImmutable(), ReadParameters());
                }

                items.Add(ReadItem());
                if (Peek != ' ' && Peek != ')')
                {
                    throw Fail($"expected ' ' or ')' in inner list at position {_position}");
                }
            }

            throw Fail("inner list is not closed with ')'");
        }

        public Item ReadItem() => new(ReadBareItem(), ReadParameters());

        private Parameters ReadParameters()
        {
            if (Peek != ';')
            {
                return Parameters.Empty;
            }

            var members = ImmutableArray.CreateBuilder<KeyValuePair<string, BareItem>>(1);
            while (Peek == ';')
            {
                _position++;
                SkipSpaces();
                var key = ReadKey();
                var value = BareItem.FromBoolean(true);
                if (Peek == '=')
                {
                    _position++;
                    value = ReadBareItem();
                }

                SetMember(members, key, value);
            }

            return new Parameters(members.ToImmutable());
        }

        private string ReadKey()
        {
            var start = _position;
            var first = Peek;
            if (!(first is >= 'a' and <= 'z' || first == '*'))
            {
                throw Fail($"a key must start with a lowercase letter or '*' at position {_position}");
            }

            _position++;
            while (!AtEnd && Peek is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '.' or '*')
            {
                _position++;
            }

            return new string(_input[start.._position]);
        }

        private BareItem ReadBareItem()
        {
            var c = Peek;
            return c switch
            {
                '-' or (>= '0' and <= '9') => ReadNumber(),
                '"' => BareItem.FromString(ReadString()),
                '*' or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') => BareItem.FromToken(ReadToken()),
                ':' => BareItem.FromBytes(ReadByteSequence()),
                '?' => ReadBoolean(),
                '@' => ReadDate(),
                '%' => BareItem.FromDisplayString(ReadDisplayString()),
                _ => throw Fail(AtEnd ? "missing value" : $"unexpected '{c}' where a value starts, at position {_position}"),
            };
        }

        private BareItem ReadNumber()
        {
            var negative = false;
            if (Peek == '-')
            {
                negative = true;
                _position++;
            }

            if (Peek is not (>= '0' and <= '9'))
            {
                throw Fail($"expected a digit at position {_position}");
            }

            var start = _position;
            var dot = -1;
            while (!AtEnd)
            {
                var c = _input[_position];
                if (c is >= '0' and <= '9')
                {
                    _position++;
                }
                else if (c == '.' && dot < 0)
                {
                    if (_position - start > 12)
                    {
                        throw Fail("a decimal has at most 12 integer digits");
                    }

                    dot = _position;
                    _position++;
                }
                else
                {
                    break;
                }

                if (dot < 0 && _position - start > 15)
                {
                    throw Fail("an integer has at most 15 digits");
                }

                if (dot >= 0 && _position - start > 16)
                {
                    throw Fail("a decimal has at most 16 characters");
                }
            }

            var digits = _input[start.._position];
            if (dot < 0)
            {
                var value = long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
                return BareItem.FromInteger(negative ? -value : value);
            }

            var fraction = _position - dot - 1;
            if (fraction == 0)
            {
                throw Fail("a decimal may not end with '.'");
            }

            if (fraction > 3)
            {
                throw Fail("a decimal has at most 3 fractional digits");
            }

            var number = decimal.Parse(digits, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture);
            return BareItem.FromDecimal(negative ? -number : number);
        }

        private string ReadString()
        {
            _position++;
            var start = _position;
            StringBuilder? escaped = null;
            while (true)
            {
                var c = Next();
                if (c == '"')
                {
                    return escaped is null ? new string(_input[start..(_position - 1)]) : escaped.ToString();
                }

                if (c == '\\')
                {
                    escaped ??= new StringBuilder().Append(_input[start..(_position - 1)]);
                    var escapedChar = Next();
                    if (escapedChar is not ('"' or '\\'))
                    {
                        throw Fail($"only '\\\"' and '\\\\' may be escaped in a string, at position {_position - 1}");
                    }

                    escaped.Append(escapedChar);
                }
                else if (c is < ' ' or > '~')
                {
                    throw Fail($"a string may hold only printable ASCII, at position {_position - 1}");
                }
                else
                {
                    escaped?.Append(c);
                }
            }
        }

        private string ReadToken()
        {
            var start = _position;
            _position++;
            while (!AtEnd && (IsTokenChar(_input[_position]) || _input[_position] is ':' or '/'))
            {
                _position++;
            }

            return new string(_input[start.._position]);
        }

        private static bool IsTokenChar(char c) =>
            c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
                or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

        private ImmutableArray<byte> ReadByteSequence()
        {
            _position++;
            var start = _position;
            while (Next() != ':')
            {
                var c = _input[_position - 1];
                if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '+' or '/' or '='))
                {
                    throw Fail($"'{c}' is not base64, at position {_position - 1}");
                }
            }

            var content = new string(_input[start..(_position - 1)]);
            // RFC 9651 lets parsers accept missing padding; we do.
            var padded = content.Length % 4 == 0 ? content : content.PadRight(content.Length + (4 - (content.Length % 4)), '=');
            var buffer = new byte[padded.Length / 4 * 3];
            if (!Convert.TryFromBase64String(padded, buffer, out var written))
            {
                throw Fail("a byte sequence is not valid base64");
            }

            return ImmutableArray.Create(buffer, 0, written);
        }

        private BareItem ReadBoolean()
        {
            _position++;
            return Next() switch
            {
                '1' => BareItem.FromBoolean(true),
                '0' => BareItem.FromBoolean(false),
                _ => throw Fail("a boolean is ?1 or ?0"),
            };
        }

        private BareItem ReadDate()
        {
            _position++;
            var number = ReadNumber();
            if (number.Kind != BareItemKind.Integer)
            {
                throw Fail("a date is a whole number of seconds");
            }

            return BareItem.FromDate(number.Integer);
        }

        private string ReadDisplayString()
        {
            _position++;
            if (Next() != '"')
            {
                throw Fail("a display string starts with %\"");
            }

            var bytes = new List<byte>();
            while (true)
            {
                var c = Next();
                if (c is < ' ' or > '~')
                {
                    throw Fail($"a display string may hold only printable ASCII, at position {_position - 1}");
                }

                if (c == '"')
                {
                    try
                    {
                        return new UTF8Encoding(false, true).GetString(bytes.ToArray());
                    }
                    catch (DecoderFallbackException)
                    {
                        throw Fail("a display string is not valid UTF-8");
                    }
                }

                if (c == '%')
                {
                    bytes.Add((byte)((LowerHex(Next()) << 4) | LowerHex(Next())));
                }
                else
                {
                    bytes.Add((byte)c);
                }
            }
        }

        private static int LowerHex(char c) => c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            _ => throw Fail($"'{c}' is not a lowercase hex digit in a display string"),
        };
    }
}
