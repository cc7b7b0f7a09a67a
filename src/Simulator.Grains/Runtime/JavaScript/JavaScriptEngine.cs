using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Runtime.WebSockets;
using Simulator.Grains.Scripts;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// The one adapter between dosim and a JavaScript engine (Jint): one engine per silo and version,
/// holding the version's modules once; each of the version's Durable Objects on the silo is an
/// instance inside it, so module globals are shared by them, as in a platform isolate.
/// A Jint engine is single-threaded: JavaScript runs only under <see cref="_gate"/>, in short turns
/// that never span an await. A host operation (a stub's fetch, a storage write, a timer) is a C#
/// task whose completion is a new turn, queued on the scheduler of the grain that started it, so
/// the script resumes on its own activation.
/// </summary>
internal sealed class JavaScriptEngine : IDisposable
{
    private readonly Engine _engine;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ObjectInstance _exports;
    private readonly ObjectInstance _dosim;
    private readonly JsValue _env;
    private readonly PreludeObjects _objects;
    private readonly JavaScriptStorage _storage;
    private readonly JavaScriptBindings _bindings;
    private readonly JsValue _settle;
    private readonly JsValue _then;
    private readonly JsValue _makeState;
    private readonly JsValue _wholeResponse;
    private readonly ObjectInstance _executionContext;
    private readonly ObjectInstance _durableObjectPrototype;
    private readonly ObjectInstance _workerEntrypointPrototype;
    private readonly StructuredClone _clone;
    private readonly JsValue _promise;
    private readonly JsValue _reject;
    private readonly Time.SimulatedClock _clock;
    private readonly TurnTimeSystem _timeSystem = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, CancellationTokenSource> _timers = new();
    private readonly IGrainFactory _grains;
    private readonly string _workerName;
    private readonly Simulator.Core.Assets.AssetSet? _assets;
    private readonly JavaScriptWebSockets _webSockets;
    private readonly JsValue _socketEvents;

    // The kinds of first turn, made once rather than as a closure per call.
    private readonly Action<JavaScriptInvocation> _runObjectFetch;
    private readonly Action<JavaScriptInvocation> _runObjectCall;
    private readonly Action<JavaScriptInvocation> _runObjectAlarm;
    private readonly Action<JavaScriptInvocation> _runWorkerFetch;
    private readonly Action<JavaScriptInvocation> _runWorkerCall;
    private readonly Action<JavaScriptInvocation> _runSocketEvents;

    // The invocation whose turn is running (set and cleared under the gate).
    private JavaScriptInvocation? _current;

    public JavaScriptEngine(WorkerVersion version, string workerName, JavaScriptLimits limits, IGrainFactory grains, Time.SimulatedClock clock, Telemetry.SocketTraffic? workerSockets = null)
    {
        var code = version.Code ?? throw new ArgumentException("The version has no JavaScript.", nameof(version));
        (_clock, _grains, _workerName, _assets) = (clock, grains, workerName, code.Assets);
        _timeSystem.Now = clock.UtcNow;
        (_runObjectFetch, _runObjectCall, _runObjectAlarm, _runWorkerFetch, _runWorkerCall, _runSocketEvents) = (RunObjectFetch, RunObjectCall, RunObjectAlarm, RunWorkerFetch, RunWorkerCall, RunSocketEvents);
        var loader = new BundleModuleLoader(code.Modules);
        _engine = new Engine(options =>
        {
            options.EnableModules(loader);
            options.LimitRecursion(limits.MaxRecursion);
            options.Constraints.StackOverflowGuard = true;
            options.TimeoutInterval(limits.CpuPerTurn);
            options.LimitMemory(limits.MemoryPerTurn);
            options.Constraints.MaxArraySize = limits.MaxArraySize;
            options.Constraints.RegexTimeout = limits.RegexTimeout;
            options.Json.MaxParseDepth = limits.MaxJsonDepth;
            options.Strict = false;
            options.Interop.Enabled = false;
            // Date is in UTC, and reads the simulated clock as it was when the turn began.
            options.TimeSystem = _timeSystem;
        });

        var host = new JsObject(_engine);
        _webSockets = new JavaScriptWebSockets(_engine, host, code, () => _current, () => _clone!);
        host.Set("log", Function("log", (_, a) => Log(a.At(0).AsString(), a.At(1).AsString())));
        host.Set("uuid", Function("uuid", (_, _) => Guid.NewGuid().ToString()));
        host.Set("randomBytes", Function("randomBytes", (_, a) => Encoding.Latin1.GetString(RandomNumberGenerator.GetBytes((int)a.At(0).AsNumber()))));
        host.Set("digest", Function("digest", (_, a) => Encoding.Latin1.GetString(WebCrypto.Digest(a.At(0).AsString(), Encoding.Latin1.GetBytes(a.At(1).AsString())))));
        host.Set("hmac", Function("hmac", (_, a) => Encoding.Latin1.GetString(WebCrypto.Hmac(a.At(0).AsString(), Encoding.Latin1.GetBytes(a.At(1).AsString()), Encoding.Latin1.GetBytes(a.At(2).AsString())))));
        host.Set("parseUrl", Function("parseUrl", (_, a) => ParseUrl(a.At(0).AsString(), a.At(1).IsNull() ? null : a.At(1).AsString())));
        host.Set("timer", Function("timer", (_, a) =>
        {
            var (delay, id) = (TimeSpan.FromMilliseconds(a.At(0).AsNumber()), (long)a.At(1).AsNumber());
            var owner = _current?.Owner;
            return Start(() => DelayAsync(id, delay, owner), fired => fired ? JsBoolean.True : JsBoolean.False, fired =>
            {
                if (fired)
                {
                    _clock.EndWork();
                }
            });
        }));
        host.Set("clearTimer", Function("clearTimer", (_, a) =>
        {
            if (_timers.TryRemove((long)a.At(0).AsNumber(), out var timer))
            {
                timer.Cancel();
            }

            return JsValue.Undefined;
        }));
        host.Set("idFromName", Function("idFromName", (_, a) => DurableObjectId.FromName(a.At(0).AsString(), a.At(1).AsString())));
        host.Set("newUniqueId", Function("newUniqueId", (_, _) => DurableObjectId.NewUnique()));
        host.Set("namespace", Function("namespace", (_, a) => _bindings!.Namespace(a.At(0).AsString(), a.At(1).AsObject())));
        host.Set("fetchObject", Function("fetchObject", (_, a) => FetchObject(a.At(0).AsString(), a.At(1).AsString(), a.At(2).IsNull() ? null : a.At(2).AsString(), a.At(3))));
        host.Set("fetchService", Function("fetchService", (_, a) => FetchService(a.At(0).AsString(), a.At(1).IsNull() ? null : a.At(1).AsString(), a.At(2))));
        host.Set("fetchAssets", Function("fetchAssets", (_, a) => FetchAssets(a.At(0))));
        host.Set("callService", Function("callService", (_, a) => CallService(a.At(0).AsString(), a.At(1).IsNull() ? null : a.At(1).AsString(), a.At(2).AsString(), a.At(3))));
        host.Set("headers", Function("headers", (_, a) => a.At(0) is HostHeaders pairs ? _objects!.Headers(pairs.Pairs)
            : throw new JavaScriptException(_engine.Intrinsics.TypeError, "Illegal invocation: headers of an object that is not a Request or Response.")));
        _engine.SetValue("__host", host);
        _engine.Execute(Prelude.Source, "dosim:prelude");
        _dosim = _engine.GetValue("__dosim").AsObject();
        _engine.Modules.Add("cloudflare:workers", """
            const { DurableObject, WorkerEntrypoint, RpcTarget } = globalThis.__dosim.cloudflareWorkers;
            // The version's env, importable at the top level as on the platform.
            const env = globalThis.__dosim.env;
            export { DurableObject, WorkerEntrypoint, RpcTarget, env };
            """);

        var json = new HostJson(_engine);
        _objects = new PreludeObjects(_engine, _dosim, json);
        _objects.ExportSocket = end => _webSockets.Export(end, (socket, context) =>
        {
            socket.Traffic = workerSockets;
            return WorkerSockets.For(_grains).Hold(this, socket, context);
        });
        _socketEvents = _dosim.Get("socketEvents");
        _storage = new JavaScriptStorage(_engine, _dosim, json, () => _current, Block);
        _bindings = new JavaScriptBindings(_engine, _dosim, FetchObject, CallObject);
        NativeConsole(_dosim.Get("console").AsObject());
        _settle = _engine.Evaluate("(value, ok, err) => Promise.resolve(value).then(ok, err)");
        _then = _engine.GetValue("Promise").Get("prototype").Get("then");
        _makeState = _dosim.Get("makeState");
        _wholeResponse = _dosim.Get("wholeResponse");
        _executionContext = _dosim.Get("ExecutionContext").Get("prototype").AsObject();
        _durableObjectPrototype = _dosim.Get("cloudflareWorkers").Get("DurableObject").Get("prototype").AsObject();
        _workerEntrypointPrototype = _dosim.Get("cloudflareWorkers").Get("WorkerEntrypoint").Get("prototype").AsObject();
        var stubPrototype = _dosim.Get("DurableObjectStub").Get("prototype");
        var requestPrototype = _dosim.Get("Request").Get("prototype");
        var responsePrototype = _dosim.Get("Response").Get("prototype");
        var rpcTargetPrototype = _dosim.Get("cloudflareWorkers").Get("RpcTarget").Get("prototype").AsObject();
        var readablePrototype = _engine.GetValue("ReadableStream").Get("prototype").AsObject();
        var writablePrototype = _engine.GetValue("WritableStream").Get("prototype").AsObject();
        _clone = new StructuredClone(_engine, o =>
            ReferenceEquals(o.Prototype, stubPrototype) ? "Durable Object stub"
            : ReferenceEquals(o.Prototype, requestPrototype) ? "Request"
            : ReferenceEquals(o.Prototype, responsePrototype) ? "Response"
            : InheritsFrom(o, rpcTargetPrototype) ? "RpcTarget"
            : InheritsFrom(o, readablePrototype) ? "ReadableStream"
            : InheritsFrom(o, writablePrototype) ? "WritableStream"
            : null);
        _promise = _engine.GetValue("Promise");
        _reject = _promise.Get("reject");
        try
        {
            _env = _engine.Invoke(_dosim.Get("makeEnv"), EnvSpec(version, code));
            _dosim.Set("env", _env);
            _exports = _engine.Modules.Import("./" + code.MainModule);
        }
        catch (Exception ex) when (ex is not ScriptException)
        {
            // The loader knows which module was missing; Jint says only "Could not load module".
            var reason = loader.LastFailure ?? (ex is JavaScriptException js ? js.Message + Where(js) : ex.Message);
            throw new ScriptException($"Module '{code.MainModule}' failed to load: {reason}", ex);
        }
        finally
        {
            _engine.Execute("delete globalThis.__dosim;");
        }

        ExportNames = [.. _exports.GetOwnPropertyKeys().Where(k => k.IsString()).Select(k => k.AsString())];
    }

    public IReadOnlyList<string> ExportNames { get; }

    public void Dispose()
    {
        _engine.Dispose();
        _gate.Dispose();
    }

    /// <summary>Whether the main module exports a class (a constructor) of this name.</summary>
    public bool Exports(string className) => _exports.Get(className).IsConstructor();

    /// <summary>
    /// Runs a Durable Object's <c>fetch(request)</c>. Its instance is built in the first call's turn
    /// (both forms: <c>extends DurableObject</c> and <c>constructor(state, env)</c>): after a reset,
    /// as on the platform, the new instance exists once the object is called again.
    /// </summary>
    public Task<WorkerResponse> FetchObjectAsync(JavaScriptDurableObject target, WorkerRequest request) =>
        target.Blocked is { IsCompleted: false } blocked ? AfterAsync(blocked, () => FetchObjectAsync(target, request)) : StartFetchObject(target, request);

    // blockConcurrencyWhile holds back new events until its promise settles.
    private static async Task<T> AfterAsync<T>(Task blocked, Func<Task<T>> start)
    {
        await blocked;
        return await start();
    }

    private Task<WorkerResponse> StartFetchObject(JavaScriptDurableObject target, WorkerRequest request)
    {
        var invocation = new JavaScriptInvocation(target.Context, TaskScheduler.Current) { Owner = target, Request = request };
        _ = TurnAsync(invocation, _runObjectFetch);
        return invocation.GatedResponseAsync();
    }

    private void RunObjectFetch(JavaScriptInvocation invocation)
    {
        var (target, request) = (invocation.Owner!, invocation.Request!);
        invocation.Request = null;
        var instance = target.Instance ??= Construct(target);
        var fetch = instance.Get(FetchKey);
        if (!fetch.IsCallable())
        {
            throw new ScriptException($"Durable Object class {target.ClassName} has no fetch() method: add `async fetch(request) {{ … }}` or call its methods over JS RPC (stub.method()).");
        }

        var js = _objects.Request(request);
        Await(invocation, CallWhenOpen(target, fetch, instance, [js]));
    }

    /// <summary>
    /// Runs a JS RPC call on a Durable Object: a method of its class called with the call's
    /// arguments, or a getter read. What the method throws, and the runtime's refusals, end the
    /// call as a thrown value, as the platform sends them back to the caller.
    /// </summary>
    public Task<RpcOutcome> CallObjectAsync(JavaScriptDurableObject target, RpcCall call) =>
        target.Blocked is { IsCompleted: false } blocked ? AfterAsync(blocked, () => CallObjectAsync(target, call)) : StartCallObject(target, call);

    private Task<RpcOutcome> StartCallObject(JavaScriptDurableObject target, RpcCall call)
    {
        var invocation = new JavaScriptInvocation(target.Context, TaskScheduler.Current, rpc: true) { Owner = target, Call = call };
        _ = TurnAsync(invocation, _runObjectCall);
        return invocation.GatedValueAsync();
    }

    // Reserved on every Durable Object class and Worker entrypoint: the platform's own entry points and the stub's methods.
    private static readonly HashSet<string> ReservedMembers = new(StringComparer.Ordinal)
    {
        "dup", "constructor", "fetch", "connect", "alarm", "webSocketMessage", "webSocketClose", "webSocketError",
    };

    private void RunObjectCall(JavaScriptInvocation invocation)
    {
        var (target, call) = (invocation.Owner!, invocation.Call!);
        invocation.Call = null;
        var instance = (target.Instance ??= Construct(target)).AsObject();
        if (!InheritsFrom(instance, _durableObjectPrototype))
        {
            Refuse(invocation, "TypeError", "The receiving Durable Object does not support RPC, because its class was not declared with `extends DurableObject`. In order to enable RPC, make sure your class extends the special class `DurableObject`, which can be imported from the module \"cloudflare:workers\".");
            return;
        }

        if (ReservedMembers.Contains(call.Member))
        {
            Refuse(invocation, "TypeError", $"'{call.Member}' is a reserved method and cannot be called over RPC.");
            return;
        }

        if (Member(invocation, instance, call, instanceProperties: false) is { } method)
        {
            Await(invocation, CallWhenOpen(target, method, instance, _clone.ReadArguments(call.Arguments!)));
        }
    }

    // The member an RPC call names, as the platform looks it up: what a class declares (methods and
    // getters on its prototypes; a plain object's own properties too), never what Object.prototype
    // has. A property read is answered here; a method is returned to be called. Null: the call is
    // answered (refused, or the property's value).
    private JsValue? Member(JavaScriptInvocation invocation, ObjectInstance receiver, RpcCall call, bool instanceProperties)
    {
        var key = new JsString(call.Member);
        PropertyDescriptor? member = null;
        for (var holder = instanceProperties ? receiver : receiver.Prototype; holder is not null && !ReferenceEquals(holder, _engine.Intrinsics.Object.PrototypeObject); holder = holder.Prototype)
        {
            var own = holder.GetOwnProperty(key);
            if (own != PropertyDescriptor.Undefined)
            {
                member = own;
                break;
            }
        }

        if (member is null)
        {
            Refuse(invocation, "TypeError", $"The RPC receiver does not implement the method \"{call.Member}\".");
            return null;
        }

        var value = member.IsAccessorDescriptor() ? (member.Get is { } getter && !getter.IsUndefined() ? _engine.Call(getter, receiver, []) : JsValue.Undefined) : member.Value;
        if (call.Arguments is null)
        {
            Await(invocation, value.IsCallable()
                ? throw new JavaScriptException(_engine.Intrinsics.Error, $"Reading the method \"{call.Member}\" without calling it (a function stub) is not simulated by dosim: call stub.{call.Member}(...).")
                : value);
            return null;
        }

        if (!value.IsCallable())
        {
            Refuse(invocation, "TypeError", $"The RPC receiver does not implement the method \"{call.Member}\".");
            return null;
        }

        return value;
    }

    /// <summary>Runs a Durable Object's <c>alarm({ retryCount, isRetry })</c>; it fails if the handler throws or rejects.</summary>
    public async Task AlarmObjectAsync(JavaScriptDurableObject target, AlarmInfo info)
    {
        if (target.Blocked is { IsCompleted: false } blocked)
        {
            await blocked;
        }

        var invocation = new JavaScriptInvocation(target.Context, TaskScheduler.Current, rpc: true) { Owner = target, Alarm = info };
        _ = TurnAsync(invocation, _runObjectAlarm);
        if ((await invocation.GatedValueAsync()).Error is { } error)
        {
            throw new UncaughtJavaScriptException(error);
        }
    }

    private static readonly JsString AlarmKey = new("alarm");
    private static readonly JsString WebSocketMessageKey = new("webSocketMessage");
    private static readonly JsString SocketForKey = new("_socketFor");

    private void RunObjectAlarm(JavaScriptInvocation invocation)
    {
        var (target, info) = (invocation.Owner!, invocation.Alarm!.Value);
        var instance = (target.Instance ??= Construct(target)).AsObject();
        var alarm = instance.Get(AlarmKey);
        if (!alarm.IsCallable())
        {
            throw new ScriptException($"Durable Object class {target.ClassName} has no alarm() handler, but its alarm was due (the version that set it had one): add `async alarm(alarmInfo) {{ … }}`.");
        }

        var argument = new JsObject(_engine);
        argument.Set("retryCount", info.RetryCount);
        argument.Set("isRetry", info.IsRetry);
        Await(invocation, CallWhenOpen(target, alarm, instance, [argument]));
    }

    // The handler of the call that built the instance waits, as later calls do, for what its
    // constructor's blockConcurrencyWhile runs (after this turn's microtasks, if they settle it).
    // An open object's call is made at once, with no closure.
    private JsValue CallWhenOpen(JavaScriptDurableObject target, JsValue handler, JsValue self, JsValue[] arguments)
    {
        // A block that failed reset the object: no handler of its instance runs again.
        if (target.BrokenBy is { } broken)
        {
            throw Again(broken);
        }

        if (target.BlockPromise is null)
        {
            return _engine.Call(handler, self, arguments);
        }

        _engine.Advanced.ProcessTasks();
        if (target.BrokenBy is { } brokenNow)
        {
            throw Again(brokenNow);
        }

        if (target.BlockPromise is not { } block)
        {
            return _engine.Call(handler, self, arguments);
        }

        // A block that failed broke the object: its handler does not run, and the call fails as the block did.
        var open = Function("open", (_, _) => _engine.Call(handler, self, arguments));
        var failed = Function("failed", (_, a) => throw new JavaScriptException(a.At(0)));
        return _then.Call(block, [open, failed]);
    }

    /// <summary>Whether the version's runtime answers a peer's Close frame itself.</summary>
    public bool AutoReplyToClose => _webSockets.AutoReplyToClose;

    /// <summary>
    /// One batch of a socket's frames on an object: a hibernatable socket's to the class's
    /// <c>webSocketMessage</c>/<c>webSocketClose</c> (their promises awaited), a standard one's to
    /// its listeners. It waits, as every event does, for a <c>blockConcurrencyWhile</c>.
    /// </summary>
    public Task<RpcOutcome> ObjectSocketEventsAsync(JavaScriptDurableObject target, ServerSocket socket, IReadOnlyList<SocketFrame> frames) =>
        target.Blocked is { IsCompleted: false } blocked
            ? AfterAsync(blocked, () => ObjectSocketEventsAsync(target, socket, frames))
            : StartSocketEvents(target, target.Context, socket, frames);

    /// <summary>One batch of frames for a socket a Worker accepted itself: to its listeners.</summary>
    public Task<RpcOutcome> WorkerSocketEventsAsync(InvocationContext context, ServerSocket socket, IReadOnlyList<SocketFrame> frames) =>
        StartSocketEvents(null, context, socket, frames);

    private Task<RpcOutcome> StartSocketEvents(JavaScriptDurableObject? target, InvocationContext context, ServerSocket socket, IReadOnlyList<SocketFrame> frames)
    {
        var invocation = new JavaScriptInvocation(context, TaskScheduler.Current, rpc: true) { Owner = target, Socket = socket, Frames = frames };
        _ = TurnAsync(invocation, _runSocketEvents);
        return invocation.GatedValueAsync();
    }

    private void RunSocketEvents(JavaScriptInvocation invocation)
    {
        var (target, socket, frames) = (invocation.Owner, invocation.Socket!, invocation.Frames!);
        invocation.Frames = null;
        var handle = _webSockets.Handle(socket);
        if (target is not null && socket.Hibernatable)
        {
            var instance = target.Instance ??= Construct(target);

            // The common batch, one text message to an open object, straight to the class's handler:
            // the prelude's batch loop around it cost more than an echo's handler (its result is
            // followed as the loop's would be). An object whose constructor's block is pending, or
            // that broke, reads its handler in the loop, after the block.
            var handler = frames is [{ IsClose: false, Text: not null }] && target is { BlockPromise: null, BrokenBy: null }
                ? instance.Get(WebSocketMessageKey)
                : JsValue.Undefined;
            Await(invocation, handler.IsCallable()
                ? CallWhenOpen(target, handler, instance, [_engine.Call(target.State!.Get(SocketForKey), target.State, [handle]), frames[0].Text!])
                : CallWhenOpen(target, _socketEvents, JsValue.Undefined, [instance, target.State!, handle, JsValue.Null, _webSockets.Frames(frames)]));
            return;
        }

        var batch = _webSockets.Frames(frames);

        // A standard socket's server end: its events wait in it until the code accepts it.
        var script = socket.Script as JsValue ?? throw new ScriptException("A WebSocket's server end got a message before the code held it (dosim could not find the end to deliver it to).");
        Await(invocation, _engine.Call(_socketEvents, JsValue.Undefined, [JsValue.Null, JsValue.Null, handle, script, batch]));
    }

    /// <summary>The platform's limit on one <c>blockConcurrencyWhile</c> callback, on the simulated clock.</summary>
    public static readonly TimeSpan BlockTimeout = TimeSpan.FromSeconds(30);

    private const string BlockTimedOut = "Error: A call to blockConcurrencyWhile() in a Durable Object waited for too long. The call was canceled and the Durable Object was reset.";

    // ctx.blockConcurrencyWhile(fn): no other event enters the object until fn's promise settles.
    // If it rejects, or has not settled within 30 s, the object is reset, as on the platform: its
    // waiting and running calls fail with that error, and the next call builds a new instance.
    private void Block(JavaScriptDurableObject owner, JsValue promise)
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timeout = new CancellationTokenSource();
        (owner.BlockPromise, owner.Blocked) = (promise, open.Task);

        void Settle(Exception? failure)
        {
            timeout.Cancel();
            timeout.Dispose();
            if (ReferenceEquals(owner.BlockPromise, promise))
            {
                (owner.BlockPromise, owner.Blocked) = (null, null);
            }

            if (failure is null)
            {
                open.TrySetResult();
                return;
            }

            owner.Break(failure);
            open.TrySetException(failure);
        }

        var fulfilled = Function("fulfilled", (_, _) =>
        {
            Settle(null);
            return JsValue.Undefined;
        });
        var rejected = Function("rejected", (_, a) =>
        {
            Settle(FromJsError(a.At(0)));
            return JsValue.Undefined;
        });
        _then.Call(promise, [fulfilled, rejected]);
        _ = Task.Delay(BlockTimeout, _clock.Time, timeout.Token).ContinueWith(
            waited =>
            {
                if (waited.IsCompletedSuccessfully && !open.Task.IsCompleted)
                {
                    var reason = new UncaughtJavaScriptException(BlockTimedOut);
                    owner.Break(reason);
                    open.TrySetException(reason);
                }
            },
            TaskScheduler.Default);
    }

    // Each failed call gets an exception of its own (the broken instance's reason, thrown anew).
    private static UncaughtJavaScriptException Again(Exception reason) => new(reason.Message);

    private static bool InheritsFrom(ObjectInstance instance, ObjectInstance prototype)
    {
        for (var p = instance.Prototype; p is not null; p = p.Prototype)
        {
            if (ReferenceEquals(p, prototype))
            {
                return true;
            }
        }

        return false;
    }

    private static void Refuse(JavaScriptInvocation invocation, string name, string message) => invocation.Complete(RpcOutcome.Refused(name, message));

    private static readonly JsString FetchKey = new("fetch");
    private static readonly JsString DefaultKey = new("default");
    private static readonly JsString PrototypeKey = new("prototype");
    private static readonly JsString BodyKey = new("_body");

    private ObjectInstance Construct(JavaScriptDurableObject target)
    {
        var type = _exports.Get(target.ClassName);
        if (!type.IsConstructor())
        {
            throw new ScriptException($"The Worker's main module exports no Durable Object class '{target.ClassName}' (it exports: {string.Join(", ", ExportNames)}).");
        }

        try
        {
            var state = _engine.Invoke(_makeState, target.ObjectId, target.ObjectName is null ? JsValue.Null : target.ObjectName, _storage.For(target));
            target.State = state;
            return _engine.Construct(type, state, _env);
        }
        catch (Exception ex) when (ex is not DurableObjectResetException)
        {
            var failure = Translate(ex);
            throw new ScriptException($"Durable Object class {target.ClassName}'s constructor threw: {failure.Message}", failure);
        }
    }

    /// <summary>Runs the Worker's default export: <c>export default { fetch }</c> or a <c>WorkerEntrypoint</c> class.</summary>
    public Task<WorkerResponse> FetchWorkerAsync(WorkerRequest request, InvocationContext context)
    {
        var invocation = new JavaScriptInvocation(context, TaskScheduler.Current) { Request = request };
        _ = TurnAsync(invocation, _runWorkerFetch);
        return invocation.Response;
    }

    private void RunWorkerFetch(JavaScriptInvocation invocation)
    {
        var request = invocation.Request!;
        invocation.Request = null;
        var (handler, ctx) = Entrypoint(request.Entrypoint);
        var js = _objects.Request(request);
        // A class (WorkerEntrypoint) is built for the call; an object has fetch() itself.
        var fetch = handler.Get(FetchKey);
        Await(invocation, !fetch.IsCallable() ? throw NoFetch(request.Entrypoint)
            : ctx is null ? _engine.Call(fetch, handler, [js])
            : _engine.Call(fetch, handler, [js, _env, ctx]));
    }

    private static ScriptException NoFetch(string? entrypoint) => entrypoint is null
        ? new("The Worker's main module has no fetch handler: export default { async fetch(request, env, ctx) { … } } or a class extending WorkerEntrypoint with fetch().")
        : new($"The Worker's entrypoint '{entrypoint}' has no fetch handler: add fetch(request) to it, or call its methods over JS RPC (env.SERVICE.method()).");

    /// <summary>
    /// Runs a JS RPC call that came over a service binding on one of the Worker's entrypoints: a
    /// method of a <c>WorkerEntrypoint</c> class, built for the call, or a function of a plain
    /// object export, called as <c>(arg, env, ctx)</c>.
    /// </summary>
    public Task<RpcOutcome> CallWorkerAsync(string? entrypoint, RpcCall call, InvocationContext context)
    {
        var invocation = new JavaScriptInvocation(context, TaskScheduler.Current, rpc: true) { Call = call, Entrypoint = entrypoint };
        _ = TurnAsync(invocation, _runWorkerCall);
        return invocation.GatedValueAsync();
    }

    private void RunWorkerCall(JavaScriptInvocation invocation)
    {
        var call = invocation.Call!;
        invocation.Call = null;
        if (ReservedMembers.Contains(call.Member))
        {
            Refuse(invocation, "TypeError", $"'{call.Member}' is a reserved method and cannot be called over RPC.");
            return;
        }

        var (handler, ctx) = Entrypoint(invocation.Entrypoint);
        if (Member(invocation, handler, call, instanceProperties: ctx is not null) is not { } method)
        {
            return;
        }

        var values = _clone.ReadArguments(call.Arguments!);
        if (ctx is null)
        {
            Await(invocation, _engine.Call(method, handler, values));
            return;
        }

        // A plain object's function: the caller's one argument, then env and ctx (the platform's rule).
        if (method.Get(LengthKey) is not JsNumber { } arity || arity.AsNumber() != 3)
        {
            Refuse(invocation, "TypeError", $"Cannot call handler function \"{call.Member}\" over RPC because it has the wrong number of arguments. A simple function handler can only be called over RPC if it has exactly the arguments (arg, env, ctx), where only the first argument comes from the client. To support multi-argument RPC functions, use class-based syntax (extending WorkerEntrypoint) instead.");
            return;
        }

        if (values.Length != 1)
        {
            Refuse(invocation, "TypeError", $"Attempted to call RPC function \"{call.Member}\" with the wrong number of arguments. When calling a top-level handler function that is not declared as part of a class, you must always send exactly one argument. In order to support variable numbers of arguments, the server must use class-based syntax (extending WorkerEntrypoint) instead.");
            return;
        }

        Await(invocation, _engine.Call(method, handler, [values[0], _env, ctx]));
    }

    private static readonly JsString LengthKey = new("length");

    // The export a call goes to (null: the default one). A WorkerEntrypoint class is built for the
    // call, with ctx and env, and is its own receiver (ctx null); a plain object is the receiver and
    // its handlers get (…, env, ctx).
    private (ObjectInstance Handler, ObjectInstance? Ctx) Entrypoint(string? name)
    {
        var handler = _exports.Get(name is null ? DefaultKey : new JsString(name));
        var ctx = new JsObject(_engine) { Prototype = _executionContext };
        if (handler.IsConstructor())
        {
            if (name is not null && !(handler.Get(PrototypeKey) is ObjectInstance prototype && InheritsFrom(prototype, _workerEntrypointPrototype)))
            {
                throw new ScriptException($"Worker does not export an entrypoint named \"{name}\": its export '{name}' is a class that does not extend WorkerEntrypoint (import {{ WorkerEntrypoint }} from \"cloudflare:workers\").");
            }

            return (_engine.Construct(handler, ctx, _env), null);
        }

        if (handler is ObjectInstance plain && !handler.IsCallable())
        {
            return (plain, ctx);
        }

        throw name is null ? NoFetch(null) : new ScriptException($"Worker does not export an entrypoint named \"{name}\" (it exports: {string.Join(", ", ExportNames)}).");
    }

    /// <summary>What a Worker's fetch gets whose promise nothing can settle any more.</summary>
    private const string NeverResponds = "The script will never generate a response: its fetch() returned a promise that nothing can settle (no await is pending on a fetch, a storage write or a timer).";

    // One turn: the JS and the microtasks it queues, holding the gate; then, if the invocation has
    // nothing left that could settle it, it never will. The gate is awaited, never blocked on: a
    // call that finds the engine busy yields its thread and resumes on its own grain's scheduler.
    internal async Task TurnAsync(JavaScriptInvocation invocation, Action<JavaScriptInvocation> run)
    {
        await _gate.WaitAsync();
        try
        {
            if (invocation.Owner is { IsCurrent: false })
            {
                // Queued before its object reset: the old code does not run.
                invocation.Fail(new DurableObjectResetException());
                return;
            }

            _current = invocation;
            _timeSystem.Now = _clock.UtcNow;
            _heapAtTurnStart = GC.GetTotalMemory(forceFullCollection: false);
            _engine.Constraints.Reset();
            run(invocation);
            _engine.Advanced.ProcessTasks();
            if (invocation.Returned is { } returned)
            {
                invocation.Returned = null;
                SettleReturned(invocation, returned);
                _engine.Advanced.ProcessTasks();
            }
        }
        catch (Exception ex)
        {
            if (invocation.IsRpc && ex is JavaScriptException thrown)
            {
                Reject(invocation, thrown.Error);
            }
            else
            {
                invocation.Fail(Translate(ClassifyLimit(ex)));
            }

            _engine.Advanced.ResetCallStack();
            DrainAfterFailure();
        }
        finally
        {
            _current = null;
            if (!invocation.Settled && invocation.PendingOperations == 0)
            {
                // An object's call may still be settled by a later call of the object (a
                // long-poll), as on the platform; a Worker's fetch has nothing else that could.
                if (invocation.Owner is null)
                {
                    invocation.Fail(new UncaughtJavaScriptException(NeverResponds));
                }
            }

            _gate.Release();
            invocation.RunAfterTurn();
            if (invocation.Settled)
            {
                invocation.Publish();
            }
        }
    }

    // Jint leaves the rest of the job queue in place when a host exception (a limit, a reset)
    // escapes it; those jobs run now, under the invocation that failed, never in another's turn.
    private void DrainAfterFailure()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                _engine.Constraints.Reset();
                _engine.Advanced.ProcessTasks();
                return;
            }
            catch (Exception)
            {
                _engine.Advanced.ResetCallStack();
            }
        }
    }

    // What the handler returned is read once the turn's microtasks have run, as the platform's
    // runtime takes it from its event loop: a Response, a value that is not an object, or a promise
    // (an async handler's). Any other object (a thenable) goes through Promise.resolve at once.
    private void Await(JavaScriptInvocation invocation, JsValue result)
    {
        if (result.IsPromise() || result is not ObjectInstance || (invocation.IsRpc ? !result.Get(ThenKey).IsCallable() : _objects.IsResponse(result)))
        {
            invocation.Returned = result;
            return;
        }

        Follow(invocation, result);
    }

    // A promise fulfilled by the end of its first turn (an object's fetch that awaited only
    // storage) is read at once, without the reaction and the two functions following it would cost.
    // One still waiting for a host operation, and a rejected one, are followed with the original
    // Promise.prototype.then, whose rejection handler reads the reason as it is.
    private void SettleReturned(JavaScriptInvocation invocation, JsValue returned)
    {
        if (!returned.IsPromise())
        {
            Settle(invocation, returned);
        }
        else if (invocation.PendingOperations > 0)
        {
            Follow(invocation, returned);
        }
        else
        {
            try
            {
                Settle(invocation, returned.UnwrapIfPromise(Cancelled));
            }
            catch (Exception ex) when (ex is PromiseRejectedException or JavaScriptException)
            {
                // Rejected (Jint's exception turns the reason into a string, which may itself throw).
                Follow(invocation, returned);
            }
            catch (OperationCanceledException) when (invocation.Owner is not null)
            {
                // Pending with nothing of its own to settle it: another call of the object may.
                Follow(invocation, returned);
            }
            catch (OperationCanceledException)
            {
                // A Worker's fetch pending with nothing that could settle it: the turn fails the call.
            }
        }
    }

    // Unwrapping with it reads a settled promise and never waits for a pending one.
    private static readonly CancellationToken Cancelled = new(canceled: true);

    // Settles the call when the promise (or thenable) does, in whichever turn that is.
    private void Follow(JavaScriptInvocation invocation, JsValue result)
    {
        var ok = Function("ok", (_, a) =>
        {
            Settle(invocation, a.At(0));
            PublishIfOthers(invocation);
            return JsValue.Undefined;
        });
        var err = Function("err", (_, a) =>
        {
            Reject(invocation, a.At(0));
            PublishIfOthers(invocation);
            return JsValue.Undefined;
        });
        if (result.IsPromise())
        {
            _then.Call(result, [ok, err]);
        }
        else
        {
            _engine.Invoke(_settle, result, ok, err);
        }
    }

    // A call settled in another call's turn (by a promise they share) gets its answer on its own
    // scheduler now; one settled in its own turn gets it when the turn ends (TurnAsync).
    private void PublishIfOthers(JavaScriptInvocation invocation)
    {
        if (invocation != _current)
        {
            _ = Task.Factory.StartNew(invocation.Publish, CancellationToken.None, TaskCreationOptions.None, invocation.Scheduler);
        }
    }

    private void Settle(JavaScriptInvocation invocation, JsValue response)
    {
        try
        {
            if (invocation.Alarm is not null || invocation.Socket is not null)
            {
                // What an alarm's or a socket event's handler returns goes nowhere (as on the
                // platform: a value no clone could carry is no error).
                invocation.Complete(new RpcOutcome([], null));
            }
            else if (invocation.IsRpc)
            {
                invocation.Complete(new RpcOutcome(_clone.Write(response), null));
            }
            else if (response is ObjectInstance answer && answer.Get(BodyKey) is ObjectInstance and not JsTypedArray
                && _engine.Invoke(_wholeResponse, answer) is { } whole && !whole.IsUndefined())
            {
                // A streamed body is sent once its stream has closed.
                Follow(invocation, whole);
            }
            else
            {
                invocation.Complete(_objects.ReadResponse(response));
            }
        }
        catch (JavaScriptException ex) when (invocation.IsRpc)
        {
            // A value the platform cannot clone fails the call with the clone's error.
            Reject(invocation, ex.Error);
        }
        catch (Exception ex)
        {
            invocation.Fail(Translate(ex));
        }
    }

    // What the code threw (or a promise rejected with): an RPC call sends it back as a value; a
    // fetch fails with it.
    private void Reject(JavaScriptInvocation invocation, JsValue reason)
    {
        if (!invocation.IsRpc)
        {
            invocation.Fail(FromJsError(reason));
            return;
        }

        var text = FromJsError(reason).Message;
        byte[] encoded;
        try
        {
            encoded = _clone.Write(reason);
        }
        catch (JavaScriptException)
        {
            encoded = StructuredClone.Error("Error", text);
        }

        invocation.Complete(new RpcOutcome(encoded, text));
    }

    private static readonly JsString ThenKey = new("then");

    // A host operation: a promise for the script now, settled in a later turn on the caller's
    // scheduler. The operation itself starts when this turn has released the engine, so a grain
    // call's own work (copying the request, queuing the message) never holds it.
    private JsValue Start<T>(Func<Task<T>> operation, Func<T, JsValue> toJs, Action<T>? ended = null)
    {
        var invocation = _current ?? throw new InvalidOperationException("A host operation outside a turn of JavaScript.");
        var (promise, resolve, reject) = _engine.Advanced.RegisterPromise();
        invocation.PendingOperations++;
        invocation.Owner?.BeginPending();
        invocation.AfterTurn(() =>
        {
            Task<T> task;
            try
            {
                // Code of a generation that a reset ended makes no call and starts no timer.
                task = invocation.Owner is { IsCurrent: false } ? Task.FromException<T>(new DurableObjectResetException()) : operation();
            }
            catch (Exception ex)
            {
                task = Task.FromException<T>(ex);
            }

            task.ContinueWith(
                done => ResumeAsync(done, invocation, _ =>
                {
                    invocation.PendingOperations--;
                    invocation.Owner?.EndPending();
                    if (!done.IsCompletedSuccessfully)
                    {
                        reject(HostError(done.Exception?.GetBaseException() ?? new TaskCanceledException()));
                        return;
                    }

                    JsValue value;
                    try
                    {
                        value = toJs(done.Result);
                    }
                    catch (JavaScriptException thrown)
                    {
                        reject(thrown.Error);
                        return;
                    }

                    resolve(value);
                }, ended),
                CancellationToken.None,
                TaskContinuationOptions.None,
                invocation.Scheduler);
        });
        return promise;
    }

    // The turn that resumes the script after a host operation; then what the operation's starter
    // wanted done once that turn has run (a timer's work counted as finished).
    private async Task ResumeAsync<T>(Task<T> done, JavaScriptInvocation invocation, Action<JavaScriptInvocation> run, Action<T>? ended)
    {
        // The old generation's code never runs again: its caller already has the reset error.
        if (invocation.Owner is { IsCurrent: false })
        {
            invocation.PendingOperations--;
            invocation.Owner.EndPending();
            invocation.Fail(new DurableObjectResetException());
            invocation.Publish();
        }
        else
        {
            await TurnAsync(invocation, run);
        }

        if (ended is not null && done.IsCompletedSuccessfully)
        {
            ended(done.Result);
        }
    }

    // A timer on the simulated clock: true when it fired, false when clearTimeout cancelled it. The
    // work it starts (the turn that runs its callback) is counted until that turn ends.
    private async Task<bool> DelayAsync(long id, TimeSpan delay, JavaScriptDurableObject? owner)
    {
        using var cancel = new CancellationTokenSource();
        _timers[id] = cancel;
        owner?.TimerStarted(id, cancel);
        try
        {
            await Task.Delay(delay, _clock.Time, cancel.Token);
            _clock.BeginWork();
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            _timers.TryRemove(new KeyValuePair<long, CancellationTokenSource>(id, cancel));
            owner?.TimerEnded(id);
        }
    }

    private JsValue FetchObject(string className, string id, string? name, JsValue request)
    {
        var context = _current!.Context;
        var stub = new DurableObjectNamespace(_grains, context, _workerName, className).Get(new DurableObjectIdHandle(id, name));
        var subrequest = _objects.ReadRequest(request);
        return Start(() => stub.FetchAsync(subrequest, fromJavaScript: true), _objects.Response);
    }

    // A failed host operation as the code sees it: an Error with the platform's flags, where the
    // platform sets them (a reset, a stub broken by one).
    private ObjectInstance HostError(Exception error)
    {
        var js = _engine.Intrinsics.Error.Construct(error.Message);
        if (error is DurableObjectResetException or DurableObjectStubBrokenException)
        {
            js.Set(DurableObjectResetKey, JsBoolean.True);
            js.Set(RetryableKey, JsBoolean.True);
        }

        return js;
    }

    private static readonly JsString DurableObjectResetKey = new("durableObjectReset");
    private static readonly JsString RetryableKey = new("retryable");
    private static readonly JsString RemoteKey = new("remote");
    private static readonly JsString ResetsSeenKey = new("_resets");

    // stub.member(...args) (args an array) or await stub.member (args undefined): the arguments are
    // cloned now, in the caller's turn, as the platform serializes them when the call is made.
    // stub.member(...arguments) (arguments null: await stub.member). The stub's fields, read by the
    // host (RpcMembers) or the prelude, name the object.
    private JsValue CallObject(string className, string id, string? name, string member, JsValue[]? arguments, ObjectInstance stub)
    {
        var context = _current!.Context;
        byte[]? encoded;
        try
        {
            encoded = arguments is null ? null : _clone.WriteArguments(arguments);
        }
        catch (JavaScriptException ex)
        {
            return _reject.Call(_promise, [ex.Error]);
        }

        int? seen = stub.Get(ResetsSeenKey) is JsNumber resets ? (int)resets.AsNumber() : null;
        var target = new DurableObjectNamespace(_grains, context, _workerName, className).Get(new DurableObjectIdHandle(id, name));
        var call = new RpcCall(member, encoded, name, seen);
        return Start(() => target.CallAsync(call), answer =>
        {
            stub.Set(ResetsSeenKey, answer.ResetCount);
            return ReadAnswer(answer);
        });
    }

    // What an RPC call returned, or the error it threw, marked as remote as the platform marks it.
    private JsValue ReadAnswer(RpcAnswer answer)
    {
        var value = _clone.Read(answer.Value);
        if (!answer.Threw)
        {
            return value;
        }

        if (value is ObjectInstance error)
        {
            error.Set(RemoteKey, JsBoolean.True);
        }

        throw new JavaScriptException(value);
    }

    private JsValue FetchService(string workerName, string? entrypoint, JsValue request)
    {
        var context = _current!.Context;
        var subrequest = _objects.ReadRequest(request);
        return Start(() => new ServiceBinding(_grains, context, workerName, entrypoint).FetchAsync(subrequest), _objects.Response);
    }

    private JsValue FetchAssets(JsValue request)
    {
        var subrequest = _objects.ReadRequest(request);
        return Start(() => AssetServer.FetchAsync(_grains, _assets!, subrequest), _objects.Response);
    }

    // env.SERVICE.member(...arguments) (arguments an array) or await env.SERVICE.member (null).
    private JsValue CallService(string workerName, string? entrypoint, string member, JsValue arguments)
    {
        var context = _current!.Context;
        byte[]? encoded;
        try
        {
            encoded = arguments is JsArray array ? _clone.WriteArguments([.. array]) : null;
        }
        catch (JavaScriptException ex)
        {
            return _reject.Call(_promise, [ex.Error]);
        }

        var call = new RpcCall(member, encoded, null, null);
        return Start(() => new ServiceBinding(_grains, context, workerName, entrypoint).CallAsync(call), ReadAnswer);
    }

    private JsValue Log(string level, string text)
    {
        if (_current?.Context.Console is { } console)
        {
            console.Write(level, text);
        }

        return JsValue.Undefined;
    }

    private JsObject ParseUrl(string input, string? relativeTo)
    {
        // .NET takes "/path" for a file URI on Unix; the URL standard wants a scheme.
        if (!UrlParts.HasScheme(relativeTo ?? input))
        {
            throw new JavaScriptException(_engine.Intrinsics.TypeError, $"Invalid URL: '{relativeTo ?? input}' has no scheme (e.g. https://).");
        }

        if (!UrlParts.TryParse(input, relativeTo, out var url))
        {
            throw new JavaScriptException(_engine.Intrinsics.TypeError, $"Invalid URL: '{input}'{(relativeTo is null ? string.Empty : $" against '{relativeTo}'")}.");
        }

        return JsObject.Create(_engine, UrlLayout, [url.Protocol, url.Username, url.Password, url.Hostname, url.Port, url.Pathname, url.Search, url.Hash, url.Href]);
    }

    // The parts of a parsed URL, as the prelude's URL reads them; one layout, so they share one shape.
    private static readonly JsObjectLayout UrlLayout = new("protocol", "username", "password", "hostname", "port", "pathname", "search", "hash", "href");

    private JsObject EnvSpec(WorkerVersion version, WorkerCode code)
    {
        JsObject Map(IEnumerable<KeyValuePair<string, string>> entries)
        {
            var map = new JsObject(_engine);
            foreach (var (key, value) in entries)
            {
                map.Set(key, value);
            }

            return map;
        }

        var spec = new JsObject(_engine);
        spec.Set("vars", Map(version.Vars));
        spec.Set("json", new JsArray(_engine, [.. code.JsonVars.Select(v => (JsValue)v)]));
        spec.Set("secrets", Map(version.Secrets));
        spec.Set("durableObjects", Map(code.DurableObjectBindings));
        spec.Set("services", Map(code.ServiceBindings));
        spec.Set("entrypoints", Map(code.ServiceEntrypoints));
        spec.Set("assets", code.Assets?.Binding is { } assets ? assets : JsValue.Null);
        spec.Set("versionMetadata", code.VersionMetadataBinding is { } binding ? binding : JsValue.Null);
        spec.Set("version", Map([
            new("id", version.Id.ToString()),
            new("tag", version.Tag ?? string.Empty),
            new("timestamp", version.CreatedOn.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
        ]));
        return spec;
    }

    // What a C# caller sees of what went wrong in JavaScript: the platform's words for a limit.
    // Jint counts what a turn allocates and how long it runs; the platform stops an isolate whose
    // live heap passes 128 MB, or whose CPU time runs out. Which limit a stopped turn met is read
    // from the heap: one that grew by more than that (what the turn still held when it was
    // stopped) met the memory limit, whichever of Jint's limits fired first; one that made only
    // garbage ran out of time.
    private const long LiveHeapLimit = 128L * 1024 * 1024;

    private long _heapAtTurnStart;

    private Exception ClassifyLimit(Exception ex)
    {
        if (ex is not (TimeoutException or MemoryLimitExceededException))
        {
            return ex;
        }

        var grown = GC.GetTotalMemory(forceFullCollection: false) - _heapAtTurnStart;
        return grown >= LiveHeapLimit
            ? ex as MemoryLimitExceededException ?? new MemoryLimitExceededException($"the turn held {grown / (1024 * 1024)} MiB when it was stopped")
            : ex as TimeoutException ?? new TimeoutException(ex.Message);
    }

    private static Exception Translate(Exception ex) => ex switch
    {
        System.Text.RegularExpressions.RegexMatchTimeoutException => new JavaScriptLimitException("Worker exceeded CPU time limit (a regular expression ran too long).", "exceededCpu", ex),
        TimeoutException => new JavaScriptLimitException("Worker exceeded CPU time limit.", "exceededCpu", ex),
        MemoryLimitExceededException => new JavaScriptLimitException($"Worker exceeded memory limit ({ex.Message}).", "exceededMemory", ex),
        RecursionDepthOverflowException or InsufficientExecutionStackException => new UncaughtJavaScriptException("RangeError: Maximum call stack size exceeded"),
        JavaScriptException js => new UncaughtJavaScriptException(js.Message + Where(js), js.JavaScriptStackTrace),
        _ => ex,
    };

    private static string Where(JavaScriptException ex) =>
        ex.Location.SourceFile is { Length: > 0 } file ? $" (at {file}:{ex.Location.Start.Line}:{ex.Location.Start.Column + 1})" : string.Empty;

    private static UncaughtJavaScriptException FromJsError(JsValue error)
    {
        if (error.IsObject() && error.AsObject().Get("message") is { } message && message.IsString())
        {
            var name = error.AsObject().Get("name");
            var stack = error.AsObject().Get("stack");
            return new UncaughtJavaScriptException($"{(name.IsString() ? name.AsString() : "Error")}: {message.AsString()}", stack.IsString() ? stack.AsString() : null);
        }

        return new UncaughtJavaScriptException($"Uncaught {error}");
    }

    private ClrFunction Function(string name, Func<JsValue, JsValue[], JsValue> body) => new(_engine, name, body);

    // console.log("text") and the other levels with one string skip the prelude's formatting.
    private void NativeConsole(ObjectInstance console)
    {
        foreach (var level in new[] { "log", "info", "debug", "warn", "error", "trace" })
        {
            PreludeObjects.Replace(console, level, 0, (self, a, prelude) => a.Length == 1 && a[0].IsString() ? Log(level, a[0].AsString()) : prelude.Call(self, a));
        }
    }
}
