using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Simulator.Contracts;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// Durable Object storage as an engine's JavaScript uses it: the prelude's <c>DurableObjectStorage</c>
/// (<c>ctx.storage</c>) over one store object per Durable Object, whose methods (<c>read</c>,
/// <c>readAll</c>, <c>write</c>) all objects of the engine share. <c>get</c> and <c>put</c> of one key,
/// nearly every storage call, run here without the prelude's JavaScript; the rest, and every error,
/// is the prelude's own code.
/// </summary>
internal sealed class JavaScriptStorage
{
    private static readonly JsString StoreKey = new("_store");

    // Keys and values this long or shorter are within the limits whatever their characters; the
    // prelude measures longer keys in UTF-8, and Put measures longer values.
    private const int KeyCharsAlwaysValid = 682;
    private const int ValueCharsAlwaysValid = 43690;

    private readonly Engine _engine;
    private readonly Func<JavaScriptInvocation?> _current;
    private readonly JsObject _methods;
    private readonly JsValue _promise;
    private readonly JsValue _resolve;
    private readonly JsValue _reject;
    private readonly JsValue _rangeError;
    private readonly JsonParser _parser;
    private readonly HostJson _json;

    // block: what closes an object's input gate until a promise settles (the engine's).
    public JavaScriptStorage(Engine engine, ObjectInstance dosim, HostJson json, Func<JavaScriptInvocation?> current, Action<JavaScriptDurableObject, JsValue> block)
    {
        (_engine, _json, _current) = (engine, json, current);
        // Read before the Worker's modules run, which could replace the global.
        _promise = engine.GetValue("Promise");
        _resolve = _promise.Get("resolve");
        _reject = _promise.Get("reject");
        _rangeError = engine.GetValue("RangeError");
        _parser = new JsonParser(engine);

        _methods = new JsObject(engine);
        _methods.Set("read", new ClrFunction(engine, "read", (self, a) => Usable(self).Store.Read(a.At(0).AsString()) is { } json ? json : JsValue.Undefined));
        _methods.Set("readAll", new ClrFunction(engine, "readAll", (self, _) =>
            new JsArray(engine, [.. Usable(self).Store.ReadAll().Select(e => (JsValue)new JsArray(engine, [e.Key, e.Value]))])));
        _methods.Set("write", new ClrFunction(engine, "write", (self, a) =>
        {
            var owner = Usable(self);
            var changes = new List<KeyValuePair<string, string?>>();
            foreach (var change in a.At(0).AsArray())
            {
                var pair = change.AsArray();
                changes.Add(new(pair[0].AsString(), pair[1].IsNull() ? null : pair[1].AsString()));
            }

            Write(owner, changes);
            return JsValue.Undefined;
        }));

        // The SQL API of a SQLite-backed object (see prelude.js's SqlStorage): what the code's
        // statements and transactionSync do, on the object's database.
        _methods.Set("sqlBacked", new ClrFunction(engine, "sqlBacked", (self, _) => Usable(self).Store.IsSqlite));
        _methods.Set("sqlExec", new ClrFunction(engine, "sqlExec", (self, a) =>
        {
            var (columns, rows, read, written) = Exec(Usable(self), a.At(0).AsString(), [.. a.At(1).AsArray()]);
            var answer = new JsObject(_engine);
            answer.Set("columns", columns);
            answer.Set("rows", rows);
            answer.Set("rowsRead", read);
            answer.Set("rowsWritten", written);
            return answer;
        }));
        _methods.Set("sqlSize", new ClrFunction(engine, "sqlSize", (self, _) => Database(Usable(self)).DatabaseSize));
        _methods.Set("sqlBegin", new ClrFunction(engine, "sqlBegin", (self, _) => Transaction(Usable(self), static db => db.BeginSavepoint())));
        _methods.Set("sqlRelease", new ClrFunction(engine, "sqlRelease", (self, _) => Transaction(Usable(self), static db => db.ReleaseSavepoint())));
        _methods.Set("sqlRollback", new ClrFunction(engine, "sqlRollback", (self, _) => Transaction(Usable(self), static db => db.RollbackSavepoint())));

        // The object's one alarm: set now (getAlarm sees it at once), stored before the response leaves.
        _methods.Set("getAlarm", new ClrFunction(engine, "getAlarm", (self, _) => Usable(self).Store.Alarm.DueMs is { } due ? due : JsValue.Null));
        _methods.Set("setAlarm", new ClrFunction(engine, "setAlarm", (self, a) =>
        {
            var owner = Usable(self);
            var due = a.At(0).IsNull() ? (long?)null : (long)a.At(0).AsNumber();
            if (due is not null && owner.Instance is ObjectInstance instance && !instance.Get("alarm").IsCallable())
            {
                throw new JavaScriptException(_engine.Intrinsics.Error, "Your Durable Object class must have an alarm() handler in order to call setAlarm()");
            }

            _current()!.HoldResponseFor(owner.Store.Alarm.SetAsync(due));
            return JsValue.Undefined;
        }));

        // ctx.blockConcurrencyWhile: no other event enters the object until the promise settles.
        _methods.Set("block", new ClrFunction(engine, "block", (self, a) =>
        {
            block(Usable(self), a.At(0));
            return JsValue.Undefined;
        }));

        var prototype = dosim.Get("DurableObjectStorage").Get("prototype").AsObject();
        PreludeObjects.Replace(prototype, "get", 1, Get);
        PreludeObjects.Replace(prototype, "put", 2, Put);

        // sql.exec and a cursor's one(), nearly every SQL call, made here: the cursor is built as the
        // prelude's constructor builds it (same prototype and fields), without running it.
        _sqlPrototype = dosim.Get("SqlStorage").Get("prototype").AsObject();
        _cursorPrototype = dosim.Get("SqlStorageCursor").Get("prototype").AsObject();
        PreludeObjects.Replace(_sqlPrototype, "exec", 1, SqlExec);
        PreludeObjects.Replace(_cursorPrototype, "one", 0, One);
    }

    private static readonly JsString RowsKey = new("_rows");
    private static readonly JsString ColumnsKey = new("_columns");
    private static readonly JsString AtKey = new("_at");
    private static readonly JsObjectLayout CursorLayout = new("_columns", "_rows", "_at", "rowsRead", "rowsWritten");
    private readonly ObjectInstance _sqlPrototype;
    private readonly ObjectInstance _cursorPrototype;

    private JsValue SqlExec(JsValue self, JsValue[] arguments, JsValue prelude)
    {
        if (self is ObjectInstance sql && sql.Prototype == _sqlPrototype && arguments.At(0) is JsString query && OwnerOf(self) is { } owner && IsUsable(owner))
        {
            // A read-only span: the arguments array may be a covariant one (a JsString[]), which a Span refuses.
            var (columns, rows, read, written) = Exec(owner, query.ToString(), new ReadOnlySpan<JsValue>(arguments)[1..]);
            return PreludeObjects.Make(_engine, CursorLayout, _cursorPrototype, [columns, rows, 0, read, written]);
        }

        return prelude.Call(self, arguments);
    }

    // one() of a cursor with exactly one row left: that row as an object; anything else (and its
    // errors) is the prelude's.
    private JsValue One(JsValue self, JsValue[] arguments, JsValue prelude)
    {
        if (self is ObjectInstance cursor && cursor.Prototype == _cursorPrototype
            && cursor.Get(RowsKey) is JsArray rows && cursor.Get(ColumnsKey) is JsArray columns && cursor.Get(AtKey) is JsNumber at
            && rows.Length == (uint)at.AsNumber() + 1 && rows.Get((uint)at.AsNumber()) is JsArray row)
        {
            cursor.Set(AtKey, rows.Length);
            var answer = new JsObject(_engine);
            for (uint c = 0; c < columns.Length; c++)
            {
                answer.Set(columns.Get(c), row.Get(c));
            }

            return answer;
        }

        return prelude.Call(self, arguments);
    }

    /// <summary>The store object of one Durable Object's <c>ctx.storage</c>.</summary>
    public ObjectInstance For(JavaScriptDurableObject owner) => new StoreObject(_engine, owner) { Prototype = _methods };

    private JsValue Get(JsValue self, JsValue[] arguments, JsValue prelude)
    {
        if (arguments.At(0) is JsString key && key.Length is > 0 and <= KeyCharsAlwaysValid && OwnerOf(self) is { } owner && IsUsable(owner))
        {
            var json = owner.Store.Read(key.ToString());
            return _resolve.Call(_promise, [json is null ? JsValue.Undefined : _parser.Parse(json)]);
        }

        return prelude.Call(self, arguments);
    }

    private JsValue Put(JsValue self, JsValue[] arguments, JsValue prelude)
    {
        if (arguments.At(0) is JsString key && key.Length is > 0 and <= KeyCharsAlwaysValid && !arguments.At(1).IsUndefined() && OwnerOf(self) is { } owner && IsUsable(owner))
        {
            JsValue json;
            try
            {
                json = _json.Serialize(arguments.At(1));
            }
            catch (JavaScriptException ex)
            {
                // put is async: what JSON.stringify throws (a cycle, a BigInt) rejects its promise.
                return _reject.Call(_promise, [ex.Error]);
            }

            // A value JSON cannot hold goes to the prelude, which names the error (a DataCloneError).
            if (json is JsString text)
            {
                var value = text.ToString();
                if (value.Length > ValueCharsAlwaysValid && Encoding.UTF8.GetByteCount(value) > DurableObjectStorage.MaxValueBytes)
                {
                    return _reject.Call(_promise, [_engine.Construct(_rangeError, $"Values cannot be larger than {DurableObjectStorage.MaxValueBytes} bytes (the value for '{key}').")]);
                }

                Write(owner, [new(key.ToString(), value)]);
                return _resolve.Call(_promise, [JsValue.Undefined]);
            }
        }

        return prelude.Call(self, arguments);
    }

    // As the platform's output gate: the put resolves at once, and the response waits for the write.
    // The writes of one turn are stored together when it ends (the platform coalesces writes
    // made without an await between them), outside the engine.
    private void Write(JavaScriptDurableObject owner, List<KeyValuePair<string, string?>> changes)
    {
        if (changes.Count > 0)
        {
            owner.Store.Apply(changes);
            _current()!.PersistAfterTurn(owner.Store);
        }
    }

    private static SqliteObjectDatabase Database(JavaScriptDurableObject owner) =>
        owner.Store.Sql ?? throw new InvalidOperationException("The SQL API of an object that is not SQLite-backed (the prelude checks first).");

    // One statement list, run now: its rows and counts as a plain object the prelude's cursor reads.
    // What wrote (a row, a table) is stored when the turn ends, with the turn's other writes.
    private (JsArray Columns, JsArray Rows, long RowsRead, long RowsWritten) Exec(JavaScriptDurableObject owner, string query, ReadOnlySpan<JsValue> arguments)
    {
        var database = Database(owner);
        var bindings = new object?[arguments.Length];
        for (var i = 0; i < bindings.Length; i++)
        {
            var value = arguments[i];
            bindings[i] = value.Type switch
            {
                Types.Null or Types.Undefined => null,
                Types.String => value.AsString(),
                Types.Number => value.AsNumber(),
                _ when value.IsArrayBuffer() => (byte[])value.AsArrayBuffer()!.Clone(),
                _ when value is JsTypedArray || value.IsDataView() => ViewBytes(value.AsObject()),
                _ => throw new JavaScriptException(_engine.Intrinsics.TypeError, $"A SQL binding is null, a string, a number or an ArrayBuffer (or a view of one); binding {i + 1} is {(value.IsObject() ? "an object" : value.Type.ToString().ToLowerInvariant())}."),
            };
        }

        var writes = database.Writes;
        SqlResult result;
        try
        {
            result = database.Exec(query, bindings);
        }
        catch (SqlStorageException ex)
        {
            throw new JavaScriptException(_engine.Intrinsics.Error, ex.Message);
        }
        finally
        {
            if (database.Writes != writes)
            {
                _current()!.PersistAfterTurn(owner.Store);
            }
        }

        var rows = new JsValue[result.Rows.Count];
        for (var r = 0; r < rows.Length; r++)
        {
            var row = result.Rows[r];
            var values = new JsValue[row.Length];
            for (var c = 0; c < values.Length; c++)
            {
                values[c] = row[c] switch
                {
                    null => JsValue.Null,
                    double number => number,
                    string text => text,
                    byte[] blob => _engine.Intrinsics.ArrayBuffer.Construct(blob),
                    _ => JsValue.Undefined,
                };
            }

            rows[r] = new JsArray(_engine, values);
        }

        var columns = new JsValue[result.Columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            columns[c] = result.Columns[c];
        }

        return (new JsArray(_engine, columns), new JsArray(_engine, rows), result.RowsRead, result.RowsWritten);
    }

    private static byte[] ViewBytes(ObjectInstance view)
    {
        var buffer = view.Get("buffer").AsArrayBuffer() ?? [];
        return buffer.AsSpan((int)view.Get("byteOffset").AsNumber(), (int)view.Get("byteLength").AsNumber()).ToArray();
    }

    private JsValue Transaction(JavaScriptDurableObject owner, Action<SqliteObjectDatabase> step)
    {
        step(Database(owner));
        _current()!.PersistAfterTurn(owner.Store);
        return JsValue.Undefined;
    }

    private static JavaScriptDurableObject? OwnerOf(JsValue storage) =>
        storage is ObjectInstance js && js.Get(StoreKey) is StoreObject store ? store.Owner : null;

    // The platform's rule: an object's storage belongs to its own calls. A job of another call (a
    // promise shared at module level) would touch this object from another grain.
    private bool IsUsable(JavaScriptDurableObject owner) => owner.Store.IsCurrent(owner.Generation) && _current()?.Owner == owner;

    private JavaScriptDurableObject Usable(JsValue self)
    {
        var owner = (self as StoreObject)?.Owner ?? throw new JavaScriptException(_engine.Intrinsics.TypeError, "Illegal invocation: not a Durable Object's storage.");
        if (!owner.Store.IsCurrent(owner.Generation))
        {
            throw new DurableObjectResetException();
        }

        if (_current()?.Owner != owner)
        {
            throw new JavaScriptException(_engine.Intrinsics.Error, "Cannot perform I/O on behalf of a different request: this object's storage belongs to its own calls (dosim runs a version's objects in shared engines).");
        }

        return owner;
    }

    private sealed class StoreObject(Engine engine, JavaScriptDurableObject owner) : ObjectInstance(engine)
    {
        public JavaScriptDurableObject Owner { get; } = owner;
    }
}
