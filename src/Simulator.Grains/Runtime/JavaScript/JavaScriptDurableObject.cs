using Jint.Native;
using Simulator.Contracts;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// One Durable Object's instance of its JavaScript class, on the engine it is pinned to. The
/// instance is built by the engine in the first call's turn; a reset makes a new one of these.
/// </summary>
internal sealed class JavaScriptDurableObject(
    JavaScriptEngine engine, string className, string objectId, string? objectName, IDurableObjectStore store, int generation, InvocationContext context, WebSockets.ObjectSockets sockets, Action<Exception>? onBroken = null) : IDurableObject
{
    private int _pending;

    public string ClassName { get; } = className;

    public string ObjectId { get; } = objectId;

    public string? ObjectName { get; } = objectName;

    public IDurableObjectStore Store { get; } = store;

    public int Generation { get; } = generation;

    public InvocationContext Context { get; } = context;

    /// <summary>The object's WebSockets, which outlive this instance.</summary>
    public WebSockets.ObjectSockets Sockets { get; } = sockets;

    /// <summary>The instance's <c>ctx</c> (set when the instance is built).</summary>
    public JsValue? State { get; set; }

    /// <summary>Host operations its code started (timers, fetches, storage) not yet resumed: while any is, the object cannot hibernate.</summary>
    public int Pending => Volatile.Read(ref _pending);

    public void BeginPending() => Interlocked.Increment(ref _pending);

    public void EndPending() => Interlocked.Decrement(ref _pending);

    /// <summary>Whether this instance is still its object's: false once the object reset (or broke), when none of its code may run.</summary>
    public bool IsCurrent => BrokenBy is null && Store.IsCurrent(Generation);

    private Exception? _brokenBy;

    /// <summary>Why the instance broke (its <c>blockConcurrencyWhile</c> failed); null while it is whole.</summary>
    public Exception? BrokenBy => Volatile.Read(ref _brokenBy);

    /// <summary>Breaks the instance (once, from its turn or its timeout's thread): none of its code runs again, and its host builds a new one.</summary>
    public void Break(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _brokenBy, reason, null) is null)
        {
            onBroken?.Invoke(reason);
        }
    }

    /// <summary>What <c>ctx.blockConcurrencyWhile</c> runs, while it runs: new events wait for it (the platform's input gate, closed).</summary>
    public Jint.Native.JsValue? BlockPromise { get; set; }

    /// <summary>Settles when <see cref="BlockPromise"/> does.</summary>
    public Task? Blocked { get; set; }

    /// <summary>The JavaScript instance; null until the first call builds it (set only in the engine's turns).</summary>
    public JsValue? Instance { get; set; }

    public Task<WorkerResponse> FetchAsync(WorkerRequest request) => engine.FetchObjectAsync(this, request);

    public Task<RpcOutcome> CallAsync(RpcCall rpc) => engine.CallObjectAsync(this, rpc);

    public Task AlarmAsync(AlarmInfo info) => engine.AlarmObjectAsync(this, info);

    public Task<RpcOutcome> SocketEventsAsync(WebSockets.ServerSocket socket, IReadOnlyList<SocketFrame> frames) => engine.ObjectSocketEventsAsync(this, socket, frames);

    public bool AutoReplyToClose => engine.AutoReplyToClose;

    public bool CanHibernate => Pending == 0;

    // The instance's timers not yet fired, made with its first timer.
    private Dictionary<long, CancellationTokenSource>? _timers;

    public void TimerStarted(long id, CancellationTokenSource cancel)
    {
        lock (this)
        {
            (_timers ??= [])[id] = cancel;
        }
    }

    public void TimerEnded(long id)
    {
        lock (this)
        {
            _timers?.Remove(id);
        }
    }

    /// <summary>The instance leaves memory (evicted, hibernated): its pending timers are cancelled, so none holds it or stops the clock.</summary>
    public void CancelTimers()
    {
        CancellationTokenSource[] pending;
        lock (this)
        {
            pending = _timers is null ? [] : [.. _timers.Values];
            _timers = null;
        }

        foreach (var cancel in pending)
        {
            try
            {
                cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It fired meanwhile.
            }
        }
    }
}
