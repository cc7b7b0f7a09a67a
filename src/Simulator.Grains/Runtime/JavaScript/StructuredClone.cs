using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Native.Symbol;
using Jint.Runtime;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// The platform's structured clone for JS RPC, as bytes that cross between engines (and silos):
/// primitives (BigInt included), Date, RegExp, ArrayBuffer, typed arrays and DataView, Array,
/// Map, Set, Error and plain objects, with shared and circular references kept. What the platform
/// passes by reference (functions, RpcTarget, stubs, streams, Request and Response) is refused with
/// a "not simulated" error; any other class instance with the platform's DataCloneError.
/// One per engine: it holds the engine's constructors, read before the Worker's modules run.
/// </summary>
internal sealed class StructuredClone
{
    /// <summary>The platform's limit on one argument list or one return value.</summary>
    public const int MaxBytes = 32 * 1024 * 1024;

    private enum Tag : byte
    {
        Undefined, Null, False, True, Number, String, BigInt, Date, RegExp, ArrayBuffer, View, Array, Hole, Object, Map, Set, Error, Reference,
    }

    private static readonly string[] ViewTypes =
    [
        "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
        "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
    ];

    private static readonly JsString LengthKey = new("length");
    private static readonly JsString MessageKey = new("message");
    private static readonly JsString NameKey = new("name");
    private static readonly JsString StackKey = new("stack");
    private static readonly JsString BufferKey = new("buffer");
    private static readonly JsString ByteOffsetKey = new("byteOffset");
    private static readonly JsString ByteLengthKey = new("byteLength");
    private static readonly JsString ConstructorKey = new("constructor");

    private readonly Engine _engine;
    private readonly JsValue[] _views;
    private readonly JsValue _date;
    private readonly JsValue _regExp;
    private readonly JsValue _map;
    private readonly JsValue _set;
    private readonly Dictionary<string, JsValue> _errors = new(StringComparer.Ordinal);
    private readonly ObjectInstance _objectPrototype;
    private readonly JsValue _domException;
    private readonly Func<ObjectInstance, string?> _passedByReference;

    // passedByReference: what the platform passes as a stub or stream (dosim's own classes), named for the error.
    public StructuredClone(Engine engine, Func<ObjectInstance, string?> passedByReference)
    {
        (_engine, _passedByReference) = (engine, passedByReference);
        _views = [.. ViewTypes.Select(name => engine.GetValue(name))];
        foreach (var name in new[] { "Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError" })
        {
            _errors[name] = engine.GetValue(name);
        }

        (_date, _regExp, _map, _set) = (engine.GetValue("Date"), engine.GetValue("RegExp"), engine.GetValue("Map"), engine.GetValue("Set"));
        _objectPrototype = engine.Intrinsics.Object.PrototypeObject;
        _domException = engine.GetValue("DOMException");
    }

    /// <summary>Encodes a value; throws the JavaScript error the platform throws for what it cannot clone.</summary>
    public byte[] Write(JsValue value) => Write(value, out _);

    /// <summary>
    /// Encodes a value, and says how many bytes V8's serializer would make of it: the size the
    /// platform holds a limit against (a WebSocket attachment's 16 KiB).
    /// </summary>
    public byte[] Write(JsValue value, out long platformSize)
    {
        var writer = new Writer(this);
        writer.Value(value);
        platformSize = writer.PlatformSize;
        return writer.ToArray();
    }

    /// <summary>An argument list, encoded as <see cref="Write(JsValue)"/> encodes an array of it.</summary>
    public byte[] WriteArguments(JsValue[] arguments)
    {
        var writer = new Writer(this);
        writer.Arguments(arguments);
        return writer.ToArray();
    }

    /// <summary>What <see cref="WriteArguments"/> made, as an argument list (the list itself is not an object either side refers to).</summary>
    public JsValue[] ReadArguments(byte[] bytes)
    {
        var reader = new Reader(this, bytes);
        return reader.Arguments();
    }

    /// <summary>Decodes what <see cref="Write(JsValue)"/> made, as new values of this engine.</summary>
    public JsValue Read(byte[] bytes)
    {
        var reader = new Reader(this, bytes);
        return reader.Value();
    }

    /// <summary>An encoded error of a standard type, for the runtime's own refusals (a missing method, a reserved name).</summary>
    public static byte[] Error(string name, string message)
    {
        var bytes = new List<byte> { (byte)Tag.Error };
        AppendString(bytes, name);
        AppendString(bytes, message);
        AppendInt(bytes, 0);
        return [.. bytes];
    }

    private static void AppendString(List<byte> bytes, string text)
    {
        AppendInt(bytes, text.Length);
        bytes.AddRange(MemoryMarshal.AsBytes(text.AsSpan()));
    }

    private static void AppendInt(List<byte> bytes, int value)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(four, value);
        bytes.AddRange(four);
    }

    private JavaScriptException DataCloneError(string message) =>
        new(_engine.Construct(_domException, message, "DataCloneError"));

    private JavaScriptException NotSimulated(string what) =>
        new(_engine.Intrinsics.Error, $"{what} over JS RPC is not simulated by dosim: pass plain data (objects, arrays, Map, Set, Date, typed arrays, errors).");

    private sealed class Writer(StructuredClone clone)
    {
        private readonly ArrayBufferWriter<byte> _stream = new(64);
        private readonly Dictionary<ObjectInstance, int> _seen = new(ReferenceEqualityComparer.Instance);

        /// <summary>V8's serialized size of what was written (version 15: a two-byte header, then its tags).</summary>
        public long PlatformSize { get; private set; } = 2;

        public byte[] ToArray() => _stream.WrittenSpan.ToArray();

        // As an array: what a JS RPC call's arguments are on the platform.
        public void Arguments(JsValue[] arguments)
        {
            Put(Tag.Array);
            Int(arguments.Length);
            foreach (var argument in arguments)
            {
                Value(argument);
            }
        }

        public void Value(JsValue value)
        {
            if (_stream.WrittenCount > MaxBytes)
            {
                throw new JavaScriptException(clone._engine.Construct(clone._errors["RangeError"], $"Serialized RPC arguments or return values are limited to 32MiB, but the size of this value was: {_stream.WrittenCount} bytes."));
            }

            switch (value.Type)
            {
                case Types.Undefined or Types.Empty:
                    Put(Tag.Undefined);
                    PlatformSize++;
                    return;
                case Types.Null:
                    Put(Tag.Null);
                    PlatformSize++;
                    return;
                case Types.Boolean:
                    Put(value.AsBoolean() ? Tag.True : Tag.False);
                    PlatformSize++;
                    return;
                case Types.Number:
                    Put(Tag.Number);
                    Double(value.AsNumber());
                    PlatformNumber(value.AsNumber());
                    return;
                case Types.String:
                    Put(Tag.String);
                    String(value.AsString());
                    PlatformString(value.AsString());
                    return;
                case Types.BigInt:
                    var bigInt = (BigInteger)value.ToObject()!;
                    Put(Tag.BigInt);
                    String(bigInt.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    var digitBytes = (BigInteger.Abs(bigInt).GetBitLength() + 63) / 64 * 8;
                    PlatformSize += 1 + Varint((ulong)(digitBytes << 1)) + digitBytes;
                    return;
                case Types.Symbol:
                    throw clone.DataCloneError($"{value} could not be cloned.");
            }

            var obj = value.AsObject();
            if (_seen.TryGetValue(obj, out var index))
            {
                Put(Tag.Reference);
                Int(index);
                PlatformSize += 1 + Varint((ulong)index);
                return;
            }

            if (obj.IsCallable())
            {
                throw clone.NotSimulated("Passing a function");
            }

            if (clone._passedByReference(obj) is { } kind)
            {
                throw clone.NotSimulated($"Passing a {kind}");
            }

            _seen[obj] = _seen.Count;
            if (value.IsDate())
            {
                Put(Tag.Date);
                Double(value.AsDate().DateValue);
                PlatformSize += 9;
            }
            else if (value.IsRegExp())
            {
                var regExp = value.AsRegExp();
                Put(Tag.RegExp);
                String(regExp.Source);
                String(regExp.Flags);
                PlatformSize++;
                PlatformString(regExp.Source);
                PlatformSize++;
            }
            else if (value.IsArrayBuffer())
            {
                var bytes = value.AsArrayBuffer() ?? [];
                Put(Tag.ArrayBuffer);
                Bytes(bytes);
                PlatformSize += 1 + Varint((ulong)bytes.Length) + bytes.Length;
            }
            else if (ViewType(obj) is { } type)
            {
                var buffer = obj.Get(BufferKey).AsArrayBuffer() ?? [];
                var offset = (int)obj.Get(ByteOffsetKey).AsNumber();
                var length = (int)obj.Get(ByteLengthKey).AsNumber();
                Put(Tag.View);
                Byte((byte)type);
                Bytes(buffer.AsSpan(offset, length));
                // V8 writes the whole buffer, then the view: its type, offset, length and flags.
                PlatformSize += 1 + Varint((ulong)buffer.Length) + buffer.Length + 2 + Varint((ulong)offset) + Varint((ulong)length) + 1;
            }
            else if (value.IsArray())
            {
                var array = value.AsArray();
                var length = (uint)array.Get(LengthKey).AsNumber();
                Put(Tag.Array);
                Int((int)length);
                PlatformSize += 1 + Varint(length);
                for (uint i = 0; i < length; i++)
                {
                    if (array.HasOwnProperty(i))
                    {
                        Value(array.Get(i));
                    }
                    else
                    {
                        Put(Tag.Hole);
                        PlatformSize++;
                    }
                }

                // The end tag, no other properties, and the length again.
                PlatformSize += 2 + Varint(length);
            }
            else if (obj is JsMap map)
            {
                Put(Tag.Map);
                Int(map.Size);
                foreach (var (key, item) in map)
                {
                    Value(key);
                    Value(item);
                }

                PlatformSize += 2 + Varint(2 * (ulong)map.Size);
            }
            else if (obj is JsSet set)
            {
                Put(Tag.Set);
                Int(set.Size);
                foreach (var item in set)
                {
                    Value(item);
                }

                PlatformSize += 2 + Varint((ulong)set.Size);
            }
            else if (obj is Jint.Native.Error.ErrorInstance)
            {
                Error(obj);
            }
            else if (obj.Prototype is null || ReferenceEquals(obj.Prototype, clone._objectPrototype))
            {
                Properties(Tag.Object, obj, skip: null);
            }
            else if (obj.GetType().Name == "JsProxy")
            {
                throw clone.DataCloneError("#<Object> could not be cloned.");
            }
            else
            {
                var constructor = obj.Prototype.Get(ConstructorKey);
                var name = constructor.IsObject() && constructor.AsObject().Get(NameKey) is JsString text ? text.ToString() : "Object";
                throw clone.DataCloneError($"Could not serialize object of type \"{name}\". This type does not support serialization.");
            }
        }

        // An error keeps its name and message, and its own enumerable properties (a cause, a code),
        // as the platform's enhanced error serialization does; never its stack.
        private void Error(ObjectInstance error)
        {
            Put(Tag.Error);
            var name = error.Get(NameKey);
            String(name.IsString() ? name.AsString() : "Error");
            var message = error.Get(MessageKey);
            String(message.IsUndefined() ? string.Empty : TypeConverter.ToString(message));
            // V8: its tag, the prototype's, the message's and the end's.
            PlatformSize += 3;
            PlatformString(message.IsUndefined() ? string.Empty : TypeConverter.ToString(message));
            Properties(null, error, skip: static key => key is "message" or "name" or "stack");
        }

        private void Properties(Tag? tag, ObjectInstance obj, Func<string, bool>? skip)
        {
            var keys = new List<(string Key, JsValue Value)>();
            foreach (var key in obj.GetOwnPropertyKeys(Types.String))
            {
                var property = obj.GetOwnProperty(key);
                if (property.Enumerable && !(skip?.Invoke(key.AsString()) ?? false))
                {
                    keys.Add((key.AsString(), obj.Get(key)));
                }
            }

            if (tag is { } t)
            {
                Put(t);
                PlatformSize++;
            }

            Int(keys.Count);
            foreach (var (key, item) in keys)
            {
                String(key);
                // V8 writes an array-index key as a number.
                if (uint.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index.ToString(System.Globalization.CultureInfo.InvariantCulture) == key)
                {
                    PlatformNumber(index);
                }
                else
                {
                    PlatformString(key);
                }

                Value(item);
            }

            if (tag is not null)
            {
                PlatformSize += 1 + Varint((ulong)keys.Count);
            }
        }

        private static int? ViewType(ObjectInstance obj)
        {
            if (obj is not JsTypedArray && !obj.IsDataView())
            {
                return null;
            }

            var name = obj.Get(GlobalSymbolRegistry.ToStringTag);
            var index = name.IsString() ? Array.IndexOf(ViewTypes, name.AsString()) : (obj.IsDataView() ? 0 : -1);
            return index < 0 ? null : index;
        }

        private void Put(Tag tag) => Byte((byte)tag);

        private static int Varint(ulong value)
        {
            var bytes = 1;
            for (; value >= 0x80; value >>= 7)
            {
                bytes++;
            }

            return bytes;
        }

        // A small integer (a Smi, 31 bits with pointer compression) is a zigzag varint; any other number 8 bytes.
        private void PlatformNumber(double value)
        {
            if (value == Math.Truncate(value) && value is >= -1073741824 and <= 1073741823 && !(value == 0 && double.IsNegative(value)))
            {
                var small = (int)value;
                PlatformSize += 1 + Varint((uint)((small << 1) ^ (small >> 31)));
            }
            else
            {
                PlatformSize += 9;
            }
        }

        // Latin-1 text is one byte a character; other text two, after a padding byte that aligns it.
        private void PlatformString(string text)
        {
            if (!text.AsSpan().ContainsAnyExceptInRange('\0', '\u00ff'))
            {
                PlatformSize += 1 + Varint((ulong)text.Length) + text.Length;
                return;
            }

            var length = 2L * text.Length;
            var padding = ((PlatformSize + 1 + Varint((ulong)length)) & 1) == 1 ? 1 : 0;
            PlatformSize += padding + 1 + Varint((ulong)length) + length;
        }

        private void Byte(byte value)
        {
            _stream.GetSpan(1)[0] = value;
            _stream.Advance(1);
        }

        private void Int(int value)
        {
            Span<byte> four = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(four, value);
            _stream.Write(four);
        }

        private void Double(double value)
        {
            Span<byte> eight = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(eight, value);
            _stream.Write(eight);
        }

        // UTF-16 as JavaScript holds it: a lone surrogate crosses unchanged, as in the platform's clone.
        private void String(string text)
        {
            Int(text.Length);
            _stream.Write(MemoryMarshal.AsBytes(text.AsSpan()));
        }

        private void Bytes(ReadOnlySpan<byte> bytes)
        {
            Int(bytes.Length);
            _stream.Write(bytes);
        }
    }

    private sealed class Reader(StructuredClone clone, byte[] bytes)
    {
        private readonly List<JsValue> _objects = [];
        private int _at;

        public JsValue[] Arguments()
        {
            if ((Tag)bytes[_at++] != Tag.Array)
            {
                throw new InvalidOperationException("Not an RPC argument list.");
            }

            var arguments = new JsValue[Int()];
            for (var i = 0; i < arguments.Length; i++)
            {
                arguments[i] = bytes[_at] == (byte)Tag.Hole ? Skip() : Value();
            }

            return arguments;
        }

        private JsValue Skip()
        {
            _at++;
            return JsValue.Undefined;
        }

        public JsValue Value()
        {
            var engine = clone._engine;
            var tag = (Tag)bytes[_at++];
            switch (tag)
            {
                case Tag.Undefined:
                    return JsValue.Undefined;
                case Tag.Null:
                    return JsValue.Null;
                case Tag.False:
                    return JsBoolean.False;
                case Tag.True:
                    return JsBoolean.True;
                case Tag.Number:
                    return new JsNumber(Double());
                case Tag.String:
                    return new JsString(String());
                case Tag.BigInt:
                    return new JsBigInt(BigInteger.Parse(String(), System.Globalization.CultureInfo.InvariantCulture));
                case Tag.Reference:
                    return _objects[Int()];
                case Tag.Date:
                    return Keep(engine.Construct(clone._date, new JsNumber(Double())));
                case Tag.RegExp:
                    {
                        var (source, flags) = (String(), String());
                        return Keep(engine.Construct(clone._regExp, source, flags));
                    }

                case Tag.ArrayBuffer:
                    return Keep(engine.Intrinsics.ArrayBuffer.Construct(Bytes()));
                case Tag.View:
                    {
                        var constructor = clone._views[bytes[_at++]];
                        var buffer = engine.Intrinsics.ArrayBuffer.Construct(Bytes());
                        return Keep(engine.Construct(constructor, buffer));
                    }

                case Tag.Array:
                    {
                        var length = Int();
                        var array = new JsArray(engine, (uint)length);
                        Keep(array);
                        array.Set(LengthKey, length);
                        for (uint i = 0; i < length; i++)
                        {
                            if (bytes[_at] == (byte)Tag.Hole)
                            {
                                _at++;
                                continue;
                            }

                            array.Set(i, Value());
                        }

                        return array;
                    }

                case Tag.Map:
                    {
                        var map = (JsMap)engine.Construct(clone._map);
                        Keep(map);
                        for (var n = Int(); n > 0; n--)
                        {
                            var key = Value();
                            map.Set(key, Value());
                        }

                        return map;
                    }

                case Tag.Set:
                    {
                        var set = (JsSet)engine.Construct(clone._set);
                        Keep(set);
                        for (var n = Int(); n > 0; n--)
                        {
                            set.Add(Value());
                        }

                        return set;
                    }

                case Tag.Object:
                    {
                        var obj = new JsObject(engine);
                        Keep(obj);
                        Properties(obj);
                        return obj;
                    }

                case Tag.Error:
                    {
                        var (name, message) = (String(), String());
                        var type = clone._errors.GetValueOrDefault(name) ?? clone._errors["Error"];
                        var error = engine.Construct(type, message);
                        if (!clone._errors.ContainsKey(name))
                        {
                            error.Set(NameKey, name);
                        }

                        Keep(error);
                        Properties(error);
                        return error;
                    }

                default:
                    throw new InvalidOperationException($"Not an RPC value: tag {tag} at byte {_at - 1}.");
            }
        }

        private JsValue Keep(JsValue value)
        {
            _objects.Add(value);
            return value;
        }

        private void Properties(ObjectInstance target)
        {
            for (var n = Int(); n > 0; n--)
            {
                var key = String();
                target.CreateDataProperty(key, Value());
            }
        }

        private int Int()
        {
            var value = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(_at));
            _at += 4;
            return value;
        }

        private double Double()
        {
            var value = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(_at));
            _at += 8;
            return value;
        }

        private string String()
        {
            var length = Int();
            var text = new string(MemoryMarshal.Cast<byte, char>(bytes.AsSpan(_at, length * 2)));
            _at += length * 2;
            return text;
        }

        private byte[] Bytes()
        {
            var length = Int();
            var copy = bytes.AsSpan(_at, length).ToArray();
            _at += length;
            return copy;
        }
    }
}
