using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Native.Symbol;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Simulator.Core;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// The Worker's side of a Durable Object call as the host answers it: a namespace's
/// <c>idFromName(name)</c> and <c>get(id)</c>, a stub's <c>fetch(request)</c> and an id's <c>toString()</c>, each building or
/// reading the prelude's own objects (same prototypes and fields, see prelude.js) rather than
/// running the prelude's JavaScript for them. Anything else (a name that is not a string, a stub
/// fetch with init or a URL, an id or stub the code changed) goes to the prelude's functions.
/// Ids and stubs get their fields as own data properties, as the constructors' assignments make
/// them unless the code puts setters for those names on their prototypes; a stub's fetch reads
/// the id once, where the prelude reads it twice (only a getter could tell).
/// </summary>
internal sealed class JavaScriptBindings
{
    private static readonly JsString ClassKey = new("_class");
    private static readonly JsString IdKey = new("id");
    private static readonly JsString NameKey = new("name");
    private static readonly JsString HexKey = new("_hex");
    private static readonly JsString ToStringKey = new("toString");
    private static readonly JsString BodyKey = new("_body");

    private readonly Engine _engine;
    private readonly ObjectInstance _idPrototype;
    private readonly ObjectInstance _stubPrototype;
    private readonly ObjectInstance _requestPrototype;
    private readonly JsValue _idToString;
    private readonly JsValue _freeze;
    private readonly JsValue _promise;
    private readonly JsValue _reject;
    private readonly Func<string, string, string?, JsValue, JsValue> _fetchObject;
    private readonly CallObject _callObject;
    private readonly JsValue _then;
    private readonly JsObject _memberPrototype;
    private readonly JsObject _readMarker;

    /// <summary>The host's JS RPC call to an object: class, id, name, member, arguments (null: a property read), the stub.</summary>
    public delegate JsValue CallObject(string className, string id, string? name, string member, JsValue[]? arguments, ObjectInstance stub);

    // fetchObject: the host's call to an object (class, id, name, request), a promise of its response.
    public JavaScriptBindings(Engine engine, ObjectInstance dosim, Func<string, string, string?, JsValue, JsValue> fetchObject, CallObject callObject)
    {
        (_engine, _fetchObject, _callObject) = (engine, fetchObject, callObject);
        _idPrototype = dosim.Get("DurableObjectId").Get("prototype").AsObject();
        _stubPrototype = dosim.Get("DurableObjectStub").Get("prototype").AsObject();
        _requestPrototype = dosim.Get("Request").Get("prototype").AsObject();
        // An id's toString, the most called method of a Durable Object's code (String(id), `${id}`).
        PreludeObjects.Replace(_idPrototype, "toString", 0, (self, arguments, prelude) => self is ObjectInstance id ? id.Get(HexKey) : prelude.Call(self, arguments));
        _idToString = _idPrototype.Get(ToStringKey);
        // Read before the Worker's modules run, which could replace the globals.
        _freeze = engine.Intrinsics.Object.Get("freeze");
        _promise = engine.GetValue("Promise");
        _reject = _promise.Get("reject");
        PreludeObjects.Replace(_stubPrototype, "fetch", 2, Fetch);
        _then = _promise.Get("prototype").Get("then");
        _readMarker = new JsObject(engine);
        _memberPrototype = new JsObject(engine) { Prototype = engine.Intrinsics.Function.Get("prototype").AsObject() };
        _memberPrototype.FastSetDataProperty("then", new ClrFunction(engine, "then", (self, arguments) => _then.Call(engine.Call(self, _readMarker, []), arguments), 2));

        // A stub's fetch() and fields are its own and its prototype's; any other property is a JS
        // RPC member, answered by the prototype's own prototype: calling it calls the object's
        // method, awaiting it reads the object's property. 'then' and symbols are not members, so
        // a stub is not a thenable.
        _stubPrototype.Prototype = new RpcMembers(engine, this);
    }

    // One function per member read: calling it calls the method. Awaiting it reads the property:
    // its 'then' is on a prototype all members share, and calls the member with a marker as 'this'.
    private ClrFunction Member(ObjectInstance stub, string member) =>
        new(_engine, member, (self, arguments) => Call(stub, member, ReferenceEquals(self, _readMarker) ? null : arguments), 0) { Prototype = _memberPrototype };

    // The object the stub names, as the prelude's fields give it (an id whose toString was replaced is asked for it).
    private JsValue Call(ObjectInstance stub, string member, JsValue[]? arguments)
    {
        try
        {
            var id = stub.Get(IdKey);
            var hex = id is ObjectInstance plain && plain.Prototype == _idPrototype && plain.Get(ToStringKey) == _idToString && plain.Get(HexKey) is JsString own
                ? own.ToString()
                : TypeConverter.ToString(id);
            var name = id.IsObject() ? id.AsObject().Get(NameKey) : JsValue.Undefined;
            return _callObject(TypeConverter.ToString(stub.Get(ClassKey)), hex, name.IsString() ? name.AsString() : null, member, arguments, stub);
        }
        catch (JavaScriptException ex)
        {
            return _reject.Call(_promise, [ex.Error]);
        }
    }

    private sealed class RpcMembers(Engine engine, JavaScriptBindings bindings) : ObjectInstance(engine)
    {
        public override JsValue Get(JsValue property, JsValue receiver) =>
            property is JsString name && receiver is ObjectInstance stub && name.ToString() is var member && member != "then"
                ? bindings.Member(stub, member)
                : JsValue.Undefined;
    }

    /// <summary>
    /// A namespace binding of <paramref name="className"/>: the prelude's own (<paramref name="prelude"/>),
    /// its properties in the same order and frozen, with idFromName and get answered here first.
    /// </summary>
    public JsValue Namespace(string className, ObjectInstance prelude)
    {
        var binding = new JsObject(_engine);
        foreach (var key in prelude.GetOwnPropertyKeys())
        {
            var original = prelude.Get(key);
            binding.FastSetDataProperty(key.AsString(), key.AsString() switch
            {
                "idFromName" => new ClrFunction(_engine, "idFromName", (self, a) => a.At(0) is JsString name ? NewId(DurableObjectId.FromName(className, name.ToString()), name) : original.Call(self, a), 1),
                "get" => new ClrFunction(_engine, "get", (self, a) => a.At(0) is ObjectInstance id ? NewStub(className, id) : original.Call(self, a), 1),
                _ => original,
            });
        }

        return _freeze.Call(JsValue.Undefined, [binding]);
    }

    // As `new DurableObjectId(hex, name)`.
    private JsObject NewId(string hex, JsString name) => PreludeObjects.Make(_engine, IdLayout, _idPrototype, [hex, name]);

    // As `new DurableObjectStub(className, id)`: its name is read from the id, as the constructor reads it.
    private JsObject NewStub(string className, ObjectInstance id)
    {
        var name = id.Get(NameKey);
        return PreludeObjects.Make(_engine, StubLayout, _stubPrototype, [className, id, name]);
    }

    // The constructors' fields, in their order (see PreludeObjects.Make).
    private static readonly JsObjectLayout IdLayout = new("_hex", "name");
    private static readonly JsObjectLayout StubLayout = new("_class", "id", "name");

    // stub.fetch(request) with a Request the code has (the one it got, or one it made) whose body is
    // not a stream (the prelude's fetch reads one first): the call the prelude's fetch makes, with
    // its id as String(id) gives it. As an async method does, what
    // throws while the stub, its id and the request are read rejects the promise.
    private JsValue Fetch(JsValue self, JsValue[] arguments, JsValue prelude)
    {
        try
        {
            if (arguments.At(1).IsUndefined() && arguments.At(0) is ObjectInstance request && request.Prototype == _requestPrototype
                && request.Get(BodyKey) is not ObjectInstance or JsTypedArray
                && self is ObjectInstance stub && stub.Prototype == _stubPrototype
                && stub.Get(ClassKey) is JsString className
                && stub.Get(IdKey) is ObjectInstance id && id.Prototype == _idPrototype && id.Get(HexKey) is JsString hex
                && id.Get(ToStringKey) == _idToString && id.Get(GlobalSymbolRegistry.ToPrimitive).IsUndefined()
                && id.Get(NameKey) is var name && (name.IsString() || name.IsNull() || name.IsUndefined()))
            {
                return _fetchObject(className.ToString(), hex.ToString(), name.IsString() ? name.AsString() : null, request);
            }
        }
        catch (JavaScriptException ex)
        {
            return _reject.Call(_promise, [ex.Error]);
        }

        return prelude.Call(self, arguments);
    }
}
