using System.Collections.Immutable;
using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;
using Simulator.Contracts;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// The prelude's <c>Request</c>, <c>Response</c> and <c>Headers</c> as the host makes and reads
/// them: objects with the classes' own fields and prototypes, built and read in C# rather than by
/// running the classes' JavaScript, which Jint interprets at microseconds per object. The field
/// names are the prelude's (see "Fields the host reads and writes" in prelude.js): change both
/// together. What a fast path does not take (a subclass, a byte body, <c>Response.json</c> with
/// headers) goes to the prelude's own code, so both give the same answers.
/// </summary>
internal sealed class PreludeObjects
{
    private static readonly JsString BodyKey = new("_body");
    private static readonly JsString StatusKey = new("_status");
    private static readonly JsString HeadersKey = new("_headers");
    private static readonly JsString PairsKey = new("_pairs");
    private static readonly JsString UrlKey = new("_url");
    private static readonly JsString MethodKey = new("_method");
    private static readonly JsString MapKey = new("_map");
    private static readonly JsString WebSocketKey = new("_webSocket");

    private readonly Engine _engine;
    private readonly ObjectInstance _request;
    private readonly ObjectInstance _response;
    private readonly ObjectInstance _headers;
    private readonly JsValue _map;
    private readonly JsValue _toResponse;
    private readonly JsValue _wireRequest;
    private readonly HostHeaders _jsonHeaders;
    private readonly HostJson _json;
    private readonly JsValue _socketOf;
    private readonly JsString _remote = new("remote");

    public PreludeObjects(Engine engine, ObjectInstance dosim, HostJson json)
    {
        (_engine, _json) = (engine, json);
        _socketOf = dosim.Get("socketOf");
        _request = dosim.Get("Request").Get("prototype").AsObject();
        _response = dosim.Get("Response").Get("prototype").AsObject();
        _headers = dosim.Get("Headers").Get("prototype").AsObject();
        _map = engine.Intrinsics.Map;
        _toResponse = dosim.Get("response");
        _wireRequest = dosim.Get("wireRequest");
        _jsonHeaders = new HostHeaders(engine, [new("content-type", "application/json")]);
        _jsonHeaders.PreventExtensions();

        // Response.json(data) and Response.json(data, { status }): the common answers of a Worker.
        Replace(dosim.Get("Response").AsObject(), "json", 1, Json);
    }

    /// <summary>
    /// Puts a host function in place of the prelude's function <paramref name="name"/> of
    /// <paramref name="target"/>, with the same property attributes; the host function gets the
    /// prelude's, for what it leaves to it.
    /// </summary>
    internal static void Replace(ObjectInstance target, string name, int length, Func<JsValue, JsValue[], JsValue, JsValue> body)
    {
        var property = target.GetOwnProperty(name);
        var prelude = property.Value;
        // Its length is configurable, as a class method's is.
        var host = new ClrFunction(target.Engine, name, (self, a) => body(self, a, prelude), length, PropertyFlag.Configurable);
        target.DefineOwnProperty(name, new PropertyDescriptor(host, property.Writable, property.Enumerable, property.Configurable));
    }

    /// <summary>The host's request, as the code sees it; its headers become a <c>Headers</c> only if the code reads them.</summary>
    /// <remarks>The host's objects carry only the fields they need: the prelude's getters read a missing one as its default.</remarks>
    public ObjectInstance Request(WorkerRequest request)
    {
        var headers = request.Headers;
        foreach (var header in headers)
        {
            if (header.Key.StartsWith("X-Simulator-", StringComparison.OrdinalIgnoreCase))
            {
                headers = [.. headers.Where(h => !h.Key.StartsWith("X-Simulator-", StringComparison.OrdinalIgnoreCase))];
                break;
            }
        }

        return Make(_engine, RequestLayout, _request, [Body(request.Body), request.Url, request.Method, new HostHeaders(_engine, headers)]);
    }

    /// <summary>
    /// A subrequest's answer, as the other side sent it (no default content-type is added); its
    /// headers become a <c>Headers</c> only if the code reads them.
    /// </summary>
    public ObjectInstance Response(WorkerResponse response)
    {
        var js = NewResponse(Body(response.Body), response.Status, new HostHeaders(_engine, response.Headers));
        if (response.WebSocket is { } link)
        {
            // The client end of another object's socket: the code can only pass it on.
            js.Set(WebSocketKey, _engine.Invoke(_socketOf, new SocketLinkHandle(_engine, link), _remote));
        }

        return js;
    }

    /// <summary>Turns a response's client end into what crosses to the gateway (set by the engine).</summary>
    public Func<JsValue, SocketLink>? ExportSocket { get; set; }

    /// <summary>A <c>Headers</c> of these pairs, names lower-cased and repeated names kept in order.</summary>
    public ObjectInstance Headers(IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        var map = (JsMap)_engine.Construct(_map);
        foreach (var (name, value) in pairs)
        {
            var key = new JsString(name.ToLowerInvariant());
            if (map.Get(key) is JsArray list)
            {
                list.Push(value);
            }
            else
            {
                map.Set(key, new JsArray(_engine, [value]));
            }
        }

        return NewHeaders(map);
    }

    /// <summary>Whether this is a Response of the prelude's own class (not a subclass).</summary>
    public bool IsResponse(JsValue value) => value is ObjectInstance response && response.Prototype == _response;

    /// <summary>What a handler returned, as the host's response; a value that is not a Response throws the prelude's TypeError.</summary>
    public WorkerResponse ReadResponse(JsValue value)
    {
        if (value is ObjectInstance response && response.Prototype == _response
            && response.Get(BodyKey) is var body && (body.IsNull() || body.IsString())
            && HeadersOf(response) is { } pairs && (response.Get(WebSocketKey) is var socket && (socket.IsUndefined() || socket.IsNull())))
        {
            return new WorkerResponse { Status = (int)response.Get(StatusKey).AsNumber(), Headers = pairs, Body = body.IsNull() ? [] : Encoding.UTF8.GetBytes(body.AsString()) };
        }

        var wire = _engine.Invoke(_toResponse, value);
        var read = FromWireResponse(wire);
        return wire.Get("webSocket") is ObjectInstance end ? read with { WebSocket = ExportSocket!(end) } : read;
    }

    /// <summary>A request the code sends on (to a stub or a service binding), as the host's request.</summary>
    public WorkerRequest ReadRequest(JsValue value)
    {
        if (value is ObjectInstance request && request.Prototype == _request && request.Get(BodyKey) is var body && (body.IsNull() || body.IsString()))
        {
            // The headers of a request passed on unread cross as the host read them.
            var pairs = request.Get(HeadersKey).IsUndefined() && request.Get(PairsKey) is HostHeaders host ? host.Pairs : HeadersOf(request);
            if (pairs is { } known)
            {
                return new WorkerRequest { Url = request.Get(UrlKey).AsString(), Method = request.Get(MethodKey).AsString(), Headers = known, Body = body.IsNull() ? [] : Encoding.UTF8.GetBytes(body.AsString()) };
            }
        }

        return FromWireRequest(_engine.Invoke(_wireRequest, value));
    }

    private JsValue Json(JsValue self, JsValue[] arguments, JsValue prelude)
    {
        // The prelude reads init's headers, statusText and status, in that order, then the data.
        var init = arguments.At(1);
        var status = 200;
        if (init is ObjectInstance options)
        {
            if (!options.Get("headers").IsUndefined() || !options.Get("statusText").IsUndefined())
            {
                return prelude.Call(self, arguments);
            }

            var given = options.Get("status");
            if (!given.IsUndefined())
            {
                if (!given.IsNumber() || given.AsNumber() is var n && (n != Math.Floor(n) || n < 200 || n > 599 || n is 204 or 205 or 304))
                {
                    return prelude.Call(self, arguments);
                }

                status = (int)given.AsNumber();
            }
        }
        else if (!init.IsUndefined())
        {
            return prelude.Call(self, arguments);
        }

        var json = _json.Serialize(arguments.At(0));
        return NewResponse(json.IsString() ? json : JsValue.Null, status, _jsonHeaders);
    }

    private JsObject NewResponse(JsValue body, int status, HostHeaders headers) => Make(_engine, ResponseLayout, _response, [body, status, headers]);

    // The fields of the host's objects, in the order the prelude's constructors assign them. An
    // object made from a layout holds its fields in one shared hidden class, not a property
    // dictionary of its own (a third of the bytes); it is then given its class's prototype, as
    // Object.setPrototypeOf would, and stays an ordinary object (a field added later is added as usual).
    private static readonly JsObjectLayout RequestLayout = new("_body", "_url", "_method", "_pairs");
    private static readonly JsObjectLayout ResponseLayout = new("_body", "_status", "_pairs");
    private static readonly JsObjectLayout HeadersLayout = new("_map");

    internal static JsObject Make(Engine engine, JsObjectLayout layout, ObjectInstance prototype, ReadOnlySpan<JsValue?> fields)
    {
        var js = JsObject.Create(engine, layout, fields);
        js.Prototype = prototype;
        return js;
    }

    // A Request's or a Response's headers as the code sees them (a Headers it made or read), or as
    // the host made them; null when they are neither (the prelude's own code reads those).
    private ImmutableArray<KeyValuePair<string, string>>? HeadersOf(ObjectInstance message) =>
        message.Get(HeadersKey) switch
        {
            ObjectInstance headers when headers.Prototype == _headers && headers.Get(MapKey) is JsMap map => Pairs(map),
            JsValue none when none.IsUndefined() && message.Get(PairsKey) is HostHeaders host => Normalized(host.Pairs),
            _ => null,
        };

    // As a Headers of these pairs would list them: names lower-cased and sorted, values of a
    // repeated name joined (set-cookie kept apart). Most already are (the host's own answers).
    private static ImmutableArray<KeyValuePair<string, string>> Normalized(ImmutableArray<KeyValuePair<string, string>> pairs)
    {
        var normal = true;
        for (var i = 0; i < pairs.Length && normal; i++)
        {
            normal = !pairs[i].Key.AsSpan().ContainsAnyInRange('A', 'Z') && (i == 0 || string.CompareOrdinal(pairs[i - 1].Key, pairs[i].Key) < 0);
        }

        if (normal)
        {
            return pairs;
        }

        var grouped = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, value) in pairs)
        {
            var key = name.ToLowerInvariant();
            if (grouped.TryGetValue(key, out var values))
            {
                values.Add(value);
            }
            else
            {
                grouped[key] = [value];
            }
        }

        var listed = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>(grouped.Count);
        foreach (var (name, values) in grouped)
        {
            AddListed(listed, name, values);
        }

        return listed.ToImmutable();
    }

    private JsObject NewHeaders(JsMap map) => Make(_engine, HeadersLayout, _headers, [map]);

    // As Headers' own iteration: names sorted, then each name's values listed (AddListed).
    private static ImmutableArray<KeyValuePair<string, string>> Pairs(JsMap map)
    {
        var names = new List<string>(map.Size);
        foreach (var (name, _) in map)
        {
            names.Add(name.AsString());
        }

        names.Sort(StringComparer.Ordinal);
        var pairs = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>(names.Count);
        foreach (var name in names)
        {
            var list = map.Get(name).AsArray();
            if (list.Length == 1)
            {
                pairs.Add(new(name, list[0].AsString()));
            }
            else
            {
                AddListed(pairs, name, [.. Enumerable.Range(0, (int)list.Length).Select(i => list[i].AsString())]);
            }
        }

        return pairs.ToImmutable();
    }

    // A name's values as Headers lists them: each set-cookie apart, any other name's joined.
    private static void AddListed(ImmutableArray<KeyValuePair<string, string>>.Builder pairs, string name, List<string> values)
    {
        if (name == "set-cookie")
        {
            foreach (var value in values)
            {
                pairs.Add(new(name, value));
            }
        }
        else
        {
            pairs.Add(new(name, string.Join(", ", values)));
        }
    }

    // Text that is valid UTF-8 is a string; anything else bytes (a Uint8Array).
    private JsValue Body(byte[]? body)
    {
        if (body is not { Length: > 0 })
        {
            return JsValue.Null;
        }

        try
        {
            return StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return _engine.Intrinsics.Uint8Array.Construct(body);
        }
    }

    // The prelude's plain objects for what the fast paths leave to it: the body as text or as Latin1 bytes.
    private static WorkerRequest FromWireRequest(JsValue wire) => new()
    {
        Url = wire.Get("url").AsString(),
        Method = wire.Get("method").AsString(),
        Headers = WirePairs(wire.Get("headers")),
        Body = WireBody(wire),
    };

    private static WorkerResponse FromWireResponse(JsValue wire) => new()
    {
        Status = (int)wire.Get("status").AsNumber(),
        Headers = WirePairs(wire.Get("headers")),
        Body = WireBody(wire),
    };

    private static ImmutableArray<KeyValuePair<string, string>> WirePairs(JsValue headers) =>
        headers is HostHeaders host ? host.Pairs : [.. headers.AsArray().Select(h => new KeyValuePair<string, string>(h.AsArray()[0].AsString(), h.AsArray()[1].AsString()))];

    private static byte[] WireBody(JsValue wire) =>
        wire.Get("text") is { } text && text.IsString() ? Encoding.UTF8.GetBytes(text.AsString())
        : wire.Get("bytes") is { } bytes && bytes.IsString() ? Encoding.Latin1.GetBytes(bytes.AsString())
        : [];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

/// <summary>The host's headers of a request the code has not read them from: no JavaScript sees inside.</summary>
internal sealed class HostHeaders(Engine engine, ImmutableArray<KeyValuePair<string, string>> pairs) : ObjectInstance(engine)
{
    public ImmutableArray<KeyValuePair<string, string>> Pairs { get; } = pairs;
}
