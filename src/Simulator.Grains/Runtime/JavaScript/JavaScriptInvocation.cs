using Simulator.Contracts;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// One call into a version's JavaScript: the scheduler its host operations resume on (the calling
/// grain's), how many of them are still pending, and the response (or, for an RPC call, the
/// value) it ends with.
/// </summary>
internal sealed class JavaScriptInvocation(InvocationContext context, TaskScheduler scheduler, bool rpc = false)
{
    // The caller's continuation runs where the result is published (see Publish): on the caller's
    // own scheduler, never inside a turn of the engine. One of the two, by the kind of call.
    private readonly TaskCompletionSource<WorkerResponse>? _response = rpc ? null : new();
    private readonly TaskCompletionSource<RpcOutcome>? _value = rpc ? new() : null;
    private WorkerResponse? _result;
    private RpcOutcome _outcome;
    private Exception? _error;

    /// <summary>The Durable Object the call runs on; null for a Worker's fetch.</summary>
    public JavaScriptDurableObject? Owner { get; init; }

    /// <summary>The request its first turn hands to the handler (then let go of).</summary>
    public WorkerRequest? Request { get; set; }

    /// <summary>For an alarm: what its first turn passes the handler.</summary>
    public AlarmInfo? Alarm { get; init; }

    /// <summary>The RPC call its first turn makes (then let go of).</summary>
    public RpcCall? Call { get; set; }

    /// <summary>For a socket's events: the socket, and the frames its first turn delivers (then let go of).</summary>
    public WebSockets.ServerSocket? Socket { get; init; }

    public IReadOnlyList<SocketFrame>? Frames { get; set; }

    /// <summary>For a Worker's call: the named entrypoint it goes to; null for the default export.</summary>
    public string? Entrypoint { get; init; }

    /// <summary>Whether it is an RPC call: it ends with a value, and what its code throws is a value too.</summary>
    public bool IsRpc => _value is not null;

    public InvocationContext Context { get; } = context;

    public TaskScheduler Scheduler { get; } = scheduler;

    /// <summary>Host operations started and not yet resumed (changed only under the engine's gate).</summary>
    public int PendingOperations { get; set; }

    /// <summary>What the handler returned at once (not a promise), read when its turn's microtasks have run.</summary>
    public Jint.Native.JsValue? Returned { get; set; }

    /// <summary>Whether the call has its answer (published or not yet).</summary>
    public bool Settled { get; private set; }

    public Task<WorkerResponse> Response => _response!.Task;

    // Storage writes the response waits for (the platform's output gate).
    private List<Task>? _writes;

    // Host operations the current turn started, to begin once it has released the engine.
    private List<Action>? _afterTurn;

    // The store this turn changed, to persist once it has released the engine.
    private IDurableObjectStore? _changed;

    public void AfterTurn(Action start) => (_afterTurn ??= []).Add(start);

    public void PersistAfterTurn(IDurableObjectStore store) => _changed = store;

    // What the frames this turn sent wait for: the turn's writes, stored (the platform's output gate).
    private TaskCompletionSource<bool>? _turnWritten;

    /// <summary>Settles once what this turn wrote is stored: true, or false when the write failed.</summary>
    public Task<bool> TurnWritten => (_turnWritten ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Begins what the turn that just ended started (on <see cref="Scheduler"/>, outside the engine).</summary>
    public void RunAfterTurn()
    {
        Task? written = null;
        if (_changed is { } store)
        {
            _changed = null;
            written = store.PersistAsync();
            HoldResponseFor(written);
        }

        if (_turnWritten is { } gate)
        {
            _turnWritten = null;
            if (written is null or { IsCompletedSuccessfully: true })
            {
                gate.TrySetResult(true);
            }
            else
            {
                written.ContinueWith(static (w, g) => ((TaskCompletionSource<bool>)g!).TrySetResult(w.IsCompletedSuccessfully), gate, TaskScheduler.Default);
            }
        }

        if (_afterTurn is { } starts)
        {
            _afterTurn = null;
            foreach (var start in starts)
            {
                start();
            }
        }
    }

    public void Complete(WorkerResponse response)
    {
        if (!Settled)
        {
            (Settled, _result) = (true, response);
        }
    }

    public void Complete(RpcOutcome outcome)
    {
        if (!Settled)
        {
            (Settled, _outcome) = (true, outcome);
        }
    }

    public void Fail(Exception error)
    {
        if (!Settled)
        {
            (Settled, _error) = (true, error);
        }
    }

    /// <summary>
    /// Hands the answer to the caller. The engine calls it after the turn that settled the call
    /// released the engine, on <see cref="Scheduler"/>: the caller resumes there and then, without
    /// another trip through its grain's queue.
    /// </summary>
    public void Publish()
    {
        if (_error is { } error)
        {
            _ = _response?.TrySetException(error) ?? _value!.TrySetException(error);
        }
        else if (_result is { } result)
        {
            _response!.TrySetResult(result);
        }
        else if (_outcome.Value is not null)
        {
            _value!.TrySetResult(_outcome);
        }
    }

    /// <summary>The response is not sent before <paramref name="write"/> is stored; if it fails, the call fails.</summary>
    public void HoldResponseFor(Task write)
    {
        if (!write.IsCompletedSuccessfully)
        {
            (_writes ??= []).Add(write);
        }
    }

    /// <summary>The response, once every write it was held for is stored.</summary>
    public Task<WorkerResponse> GatedResponseAsync() => GatedAsync(_response!.Task);

    /// <summary>The RPC call's outcome, once every write it was held for is stored.</summary>
    public Task<RpcOutcome> GatedValueAsync() => GatedAsync(_value!.Task);

    private async Task<T> GatedAsync<T>(Task<T> answer)
    {
        try
        {
            var response = await answer;
            if (_writes is [var write])
            {
                await write;
            }
            else if (_writes is { } writes)
            {
                await Task.WhenAll(writes);
            }

            return response;
        }
        finally
        {
            // A write held for a call that failed first is still observed.
            foreach (var write in _writes ?? [])
            {
                _ = write.ContinueWith(static t => t.Exception, TaskScheduler.Default);
            }
        }
    }
}
