using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Serialization.Invocation;
using Orleans.Storage;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Runtime;
using Simulator.Grains.Runtime.JavaScript;
using Simulator.Grains.Runtime.WebSockets;
using Simulator.Grains.Scripts;
using Simulator.Grains.Telemetry;

namespace Simulator.Grains;

/// <summary>A SQLite-backed object's database, as the bytes of its file: stored apart from the object's metadata.</summary>
[GenerateSerializer, Alias("dosim.SqliteImageState")]
public sealed class SqliteImageState
{
    [Id(0)] public byte[]? Image { get; set; }

    /// <summary>The key-value entries of an object that has no database yet (see <see cref="Runtime.SqliteObjectStore"/>); null once it has one.</summary>
    [Id(1)] public Dictionary<string, string>? Entries { get; set; }
}

[GenerateSerializer, Alias("dosim.DurableObjectGrainState")]
public sealed class DurableObjectGrainState
{
    /// <summary>The version the object last ran; null until it first runs.</summary>
    [Id(0)] public Guid? VersionId { get; set; }

    [Id(1)] public int ResetCount { get; set; }
    /// <summary>Null until the first reset: most objects never reset, and an empty list is 32 bytes of each.</summary>
    [Id(2)] public List<ResetRecord>? Resets { get; set; }

    /// <summary>A key-value-backed object's durable storage, values as JSON (a SQLite-backed object's is its database).</summary>
    [Id(3)] public Dictionary<string, string> Storage { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The reset count the object index has acknowledged for this object; null until it has.</summary>
    [Id(4)] public int? IndexedResets { get; set; }

    /// <summary>When the object's alarm is due (Unix ms on the simulated clock); null when it has none.</summary>
    [Id(5)] public long? AlarmMs { get; set; }

    /// <summary>How many times the due alarm has failed and been retried.</summary>
    [Id(6)] public int AlarmRetries { get; set; }

    /// <summary>The object's hibernatable WebSockets while it hibernates; null while it is awake (or has none).</summary>
    [Id(7)] public HibernatedSockets? Sockets { get; set; }
}

/// <summary>
/// A Durable Object. Its version comes from this silo's copy of the deployment (never a call to the
/// deployment grain on the way). It keeps one in-memory instance of its class, built on its version's
/// code; when its assigned version changes the instance is dropped and built again on the new code,
/// the durable storage is kept, calls running on the old code fail with the platform's reset error,
/// and the reset is recorded durably. Fetches run one at a time; Refresh and GetStatus interleave.
/// </summary>
[RandomPlacement, MayInterleave(nameof(Interleaves))]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The deferred update's wait is cancelled and disposed when the update is done or replaced, and when the activation deactivates (SetSwitch(null)).")]
public sealed partial class DurableObjectGrain(
    DurableObjectServices silo,
    IServiceProvider services) : Grain, IDurableObjectGrain, IKvObjectHost, ISqliteObjectHost
{
    /// <summary>The platform's alarm retries: 2 s, doubling, at most 6 (workerd's ALARM_RETRY_START_SECONDS and ALARM_RETRY_MAX_TRIES).</summary>
    public const int AlarmRetryLimit = 6;

    private const long AlarmRetryStartMs = 2_000;

    // The object's state goes to the grain storage directly, not through IPersistentState: that
    // bridge completed every write asynchronously, even on the in-memory store (a turn on the
    // activation's scheduler and four objects per write, measured in a reset storm). Writes are
    // serialized here already (see WriteStateAsync). The name is the one the bridge used, so
    // stored objects read back as before.
    private const string StateName = "object";
    private readonly GrainState<DurableObjectGrainState> _state = new(new DurableObjectGrainState());

    // A SQLite-backed object's database and its stored image (read at activation when the class
    // may be SQLite-backed; opened when an instance is first built on it).
    private const string ImageName = "sqlite";
    private GrainState<SqliteImageState>? _image;
    private SqliteObjectDatabase? _database;
    private IDurableObjectStore? _store;

    // A storage write failed: memory may be ahead of storage, so the next call starts again from
    // what storage holds, on a new instance.
    private bool _broken;
    private Task _lastWrite = Task.CompletedTask;
    private int _writes;
    private bool _deactivated;
    private string _workerName = string.Empty;
    private string _className = string.Empty;
    private string _objectId = string.Empty;
    private string? _objectName;

    private IDurableObject? _instance;
    private WorkerConsole? _console;

    // The version the instance runs; set with _instance.
    private WorkerVersion? _version;
    private int _appliedSequence;
    private int _generation;
    private int _requestsSinceBuilt;
    // The reset signal the calls now waiting on the old code's work share; there is one only while
    // a call waits, so an idle object holds none.
    private TaskCompletionSource<Exception>? _reset;

    // The last alarm sent to the alarm index (SendAlarmAfterAsync).
    private Task _alarmSent = Task.CompletedTask;
    private int _waiting;

    // A recovery from a failed write under way, which interleaved calls wait for together.
    private Task? _recovering;

    // The object's WebSockets; null until it has had one.
    private ObjectSockets? _sockets;

    // Events running while the object has sockets, and since when it has been idle (for hibernation).
    private int _inFlight;
    // Ticks of simulated time; the silo's idle sweep reads it off the object's turn.
    private long _idleSinceTicks;
    private bool _idleWatched;

    // The idle sweep asked for this deactivation and counts it as clock work until it is done.
    private bool _deactivationWork;

    // A deferred code update: the instance keeps its version until it hibernates or this passes.
    private DateTimeOffset? _switchBy;

    // The wait for that deadline, cancelled when the deadline moves or the update is done.
    private CancellationTokenSource? _switchWait;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // One copy of the key for the life of the activation (the silo's registry holds this one),
        // and the worker and class names shared by all of a Worker's objects.
        (_workerName, _className, _objectId) = DurableObjectKey.Parse(this.GetPrimaryKeyString());
        (_workerName, _className) = (string.Intern(_workerName), string.Intern(_className));
        return ActivateAsync();
    }

    private async Task ActivateAsync()
    {
        await ReadStateAsync();
        if (Stored.Sockets is { } hibernated)
        {
            // Woken from hibernation: its sockets are as they were; the gateways learn where it runs now.
            Stored.Sockets = null;
            silo.Active.Woke(_workerName, _className, _objectId);
            Sockets.Restore(hibernated, silo.Membership.LocalPeer);
            foreach (var socket in Sockets.All)
            {
                _ = socket.MovedAsync(SiloName);
            }

            silo.Membership.Watch(this);

            // Clients held by a gateway that died while the object hibernated: it hears them drop.
            foreach (var socket in Sockets.All.Where(s => silo.Membership.IsDead(s.PeerSilo)).ToList())
            {
                Dropped(socket);
            }
        }

        // Idle until its first call ends: an activation that never runs one leaves after the grace too.
        Idle();
    }

    /// <summary>How many WebSockets the object has open (read by this silo's queries, off the object's turn).</summary>
    internal int SocketCount => _sockets?.Count ?? 0;

    /// <summary>The deadline of its deferred code update, if one is pending (read off the object's turn).</summary>
    internal DateTimeOffset? PendingSwitchBy => _switchBy;

    /// <summary>A call or event is running (read from the silo's registry, off this grain's scheduler: a snapshot).</summary>
    internal bool Busy => Volatile.Read(ref _inFlight) > 0;

    private ObjectSockets Sockets => _sockets ??= new ObjectSockets(this.AsReference<ISocketEndpoint>(), () => _deactivated ? null : SiloName)
    {
        PeerGone = Dropped,
        Traffic = _version is { } version ? silo.Telemetry.SocketTraffic(_workerName, _className, version.Id) : null,
    };

    private string SiloName => GrainContext.Address.SiloAddress!.ToParsableString();

    private async Task ReadStateAsync()
    {
        await silo.Storage.ReadStateAsync(StateName, GrainContext.GrainId, _state);
        _state.State ??= new DurableObjectGrainState();
        if (!silo.Cache.TryGet(_workerName, out var snapshot) || snapshot.SqliteClasses.Contains(_className))
        {
            _image ??= new(new SqliteImageState());
            await silo.Storage.ReadStateAsync(ImageName, GrainContext.GrainId, _image);
            _image.State ??= new SqliteImageState();
        }
    }

    // Calls that interleave share one recovery.
    private Task RecoverOnceAsync() => _recovering is { IsCompleted: false } recovering ? recovering : _recovering = RecoverAsync();

    // After a failed write: drop the instance and what memory holds, and read storage again.
    private async Task RecoverAsync()
    {
        try
        {
            await _lastWrite;
        }
        catch (Exception)
        {
            // Its caller got the error.
        }

        _broken = false;
        _generation++;
        if (_instance is not null)
        {
            silo.Telemetry.InstanceChanged(_workerName, _className, _version!.Id, null);
        }

        (_instance, _store) = (null, null);
        _database?.Dispose();
        _database = null;
        await ReadStateAsync();
    }

    // The instance of this generation broke itself (its blockConcurrencyWhile failed): calls in
    // flight fail with the reason, its code never runs again, and the next call builds a new
    // instance from what storage holds. It is not a code update: no reset is counted.
    private void BreakHere(int generation, Exception reason)
    {
        var run = new Task(() =>
        {
            if (generation != _generation || _deactivated)
            {
                return;
            }

            LogInstanceBroken(silo.Logger, Key, reason.Message);
            _broken = true;
            _reset?.TrySetResult(reason);
            _reset = null;
        });
        GrainContext.Scheduler.QueueTask(run);
    }

    private DurableObjectGrainState Stored => _state.State!;

    /// <summary>
    /// The platform's input gate, as far as Orleans' scheduling goes: calls from JavaScript (a JS
    /// RPC call, an alarm, a fetch through a JS stub) may enter while the object's running handler
    /// awaits something (another object, a timer); the object's JavaScript still runs one turn at a
    /// time, on its engine. A C# object's calls run one at a time, as before.
    /// </summary>
    public static bool Interleaves(IInvokable request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.GetArgumentCount() > 1)
        {
            // A socket's connection and frames: the engine keeps each object's JavaScript one turn at a time.
            return request.GetArgument(0) is Guid;
        }

        return request.GetArgumentCount() == 1 && request.GetArgument(0) switch
        {
            RpcCall => true,
            WorkerRequest fetch => fetch.Header(DurableObjectHeaders.Caller) is not null,
            long => true,
            _ => false,
        };
    }

    // Made when a log line needs it: the silo's registry knows the object by class and id, so a
    // key string (about 190 bytes) is not kept per object.
    private string Key => DurableObjectKey.Format(_workerName, _className, _objectId);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await DeactivateAsync();
        }
        finally
        {
            if (_deactivationWork)
            {
                _deactivationWork = false;
                silo.Clock.EndWork();
            }
        }
    }

    private async Task DeactivateAsync()
    {
        _deactivated = true;

        // The instance leaves with the activation: a timer its code left pending (an evicted
        // object's) is cancelled, and nothing of it touches storage again.
        _generation++;
        (_instance as JavaScriptDurableObject)?.CancelTimers();
        SetSwitch(null);
        silo.Membership.Unwatch(this);
        silo.Active.Remove(_workerName, _className, _objectId);
        _database?.Dispose();
        if (_instance is not null)
        {
            silo.Telemetry.InstanceChanged(_workerName, _className, _version!.Id, null);
        }

        if (_sockets is { Count: > 0 } sockets)
        {
            await HibernateSocketsAsync(sockets);
        }
    }

    // Hibernation (or any other deactivation): hibernatable sockets stay open and are stored with
    // the object; standard ones cannot outlive the instance, and are closed.
    private async Task HibernateSocketsAsync(ObjectSockets sockets)
    {
        foreach (var socket in sockets.All.Where(s => !s.Hibernatable && s.ReadyState < ServerSocket.Closed))
        {
            socket.Send(SocketFrame.Close(WebSocketLimits.GoneCode, WebSocketLimits.GoneReason));
        }

        Stored.Sockets = sockets.Save();
        if (Stored.Sockets is null)
        {
            return;
        }

        try
        {
            await WriteStateAsync();
        }
        catch (Exception ex)
        {
            LogWriteFailed(silo.Logger, Key, ex.Message);
            return;
        }

        silo.Active.Hibernated(_workerName, _className, _objectId, Stored.VersionId!.Value, Stored.Sockets.Sockets.Count);
        if (Stored.Sockets.Sockets.Any(s => silo.Membership.IsDead(s.PeerSilo)))
        {
            // A gateway died as the object hibernated, after it stopped watching: woken, it hears the drop.
            silo.Active.Woke(_workerName, _className, _objectId);
            _ = GrainFactory.GetGrain<IDurableObjectGrain>(this.GetPrimaryKeyString()).GetStatus();
        }
        foreach (var socket in sockets.All.Where(s => s.Hibernatable))
        {
            _ = socket.MovedAsync(null);
        }
    }

    public Task<DurableObjectAnswer> Fetch(WorkerRequest request) => TrackedAsync(() => FetchCoreAsync(request));

    private async Task<DurableObjectAnswer> FetchCoreAsync(WorkerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = CallerContext.Current;
        _objectName ??= request.Header(DurableObjectHeaders.Name);
        if (_broken)
        {
            await RecoverOnceAsync();
        }

        var snapshot = await CurrentSnapshotAsync();
        using var activity = SimulatorTelemetry.Source.StartActivity("durable_object fetch");
        await ApplyAsync(snapshot);
        var (instance, version, console) = (_instance!, _version!, _console!);
        Tag(activity, version);
        var invocation = new Invocation(_workerName, snapshot.Deployment!.Id, version, request, _className, Caller: caller);
        CallerContext.Set(version);
        var startedMs = silo.Telemetry.Now();
        var started = Stopwatch.GetTimestamp();
        try
        {
            _requestsSinceBuilt++;
            var misbehaviour = SimulationVars.Of(version);
            var response = await UnlessResetAsync(misbehaviour.None ? instance.FetchAsync(request) : MisbehaveThenAsync(misbehaviour, () => instance.FetchAsync(request)));
            silo.Telemetry.Record(invocation, startedMs, Stopwatch.GetElapsedTime(started), response.Status, null, console.Drain());
            activity?.SetTag(SimulatorTelemetry.Tags.Outcome, "ok");
            return new DurableObjectAnswer(response, version.Id, Stored.ResetCount);
        }
        catch (Exception ex)
        {
            Failed(activity, invocation, startedMs, started, ex, console);
            throw;
        }
    }

    public Task<RpcAnswer> Invoke(RpcCall rpc) => TrackedAsync(() => InvokeCoreAsync(rpc));

    private async Task<RpcAnswer> InvokeCoreAsync(RpcCall rpc)
    {
        ArgumentNullException.ThrowIfNull(rpc);
        var caller = CallerContext.Current;
        _objectName ??= rpc.ObjectName;
        if (_broken)
        {
            await RecoverOnceAsync();
        }

        var snapshot = await CurrentSnapshotAsync();
        using var activity = SimulatorTelemetry.Source.StartActivity("durable_object rpc");
        await ApplyAsync(snapshot);

        // A stub that reached this object before its last reset is broken, as on the platform.
        if (rpc.ResetsSeen is { } seen && seen != Stored.ResetCount)
        {
            throw new DurableObjectStubBrokenException();
        }

        var (instance, version, console) = (_instance!, _version!, _console!);
        Tag(activity, version);
        activity?.SetTag(SimulatorTelemetry.Tags.RpcMethod, rpc.Member);
        var invocation = new Invocation(_workerName, snapshot.Deployment!.Id, version, null, _className, rpc.Member, Caller: caller);
        CallerContext.Set(version);
        var startedMs = silo.Telemetry.Now();
        var started = Stopwatch.GetTimestamp();
        try
        {
            _requestsSinceBuilt++;
            var misbehaviour = SimulationVars.Of(version);
            var outcome = await UnlessResetAsync(misbehaviour.None ? instance.CallAsync(rpc) : MisbehaveThenAsync(misbehaviour, () => instance.CallAsync(rpc)));
            var thrown = outcome.Error is { } error ? new Runtime.JavaScript.UncaughtJavaScriptException(error) : null;
            silo.Telemetry.Record(invocation, startedMs, Stopwatch.GetElapsedTime(started), thrown is null ? 200 : 500, thrown, console.Drain());
            activity?.SetTag(SimulatorTelemetry.Tags.Outcome, thrown is null ? "ok" : "exception");
            return new RpcAnswer(outcome.Value, outcome.Threw, version.Id, Stored.ResetCount);
        }
        catch (Exception ex)
        {
            Failed(activity, invocation, startedMs, started, ex, console);
            throw;
        }
    }

    public Task<long?> RunAlarm(long dueMs) => TrackedAsync(() => RunAlarmCoreAsync(dueMs));

    private async Task<long?> RunAlarmCoreAsync(long dueMs)
    {
        if (Stored.AlarmMs != dueMs)
        {
            // Deleted or moved since the index fired it: the index learns what is due now.
            return Stored.AlarmMs;
        }

        if (_broken)
        {
            await RecoverOnceAsync();
        }

        var snapshot = await CurrentSnapshotAsync();
        using var activity = SimulatorTelemetry.Source.StartActivity("durable_object alarm");
        await ApplyAsync(snapshot);
        var (instance, version, console) = (_instance!, _version!, _console!);
        Tag(activity, version);
        var retry = Stored.AlarmRetries;
        var invocation = new Invocation(_workerName, snapshot.Deployment!.Id, version, null, _className, EventType: "alarm", ScheduledTimeMs: dueMs);
        CallerContext.Set(version);
        var startedMs = silo.Telemetry.Now();
        var started = Stopwatch.GetTimestamp();

        // As on the platform, getAlarm() answers null while the handler runs, unless it sets a new alarm.
        Stored.AlarmMs = null;
        var writesBefore = _writes;
        try
        {
            _requestsSinceBuilt++;
            var misbehaviour = SimulationVars.Of(version);
            var info = new AlarmInfo(retry);
            await UnlessResetAsync(misbehaviour.None ? Done(instance.AlarmAsync(info)) : MisbehaveThenAsync(misbehaviour, () => Done(instance.AlarmAsync(info))));
            if (retry == 0 && _writes > writesBefore && _store is KvObjectStore)
            {
                // The handler's own write stored the cleared alarm with its data.
                await _lastWrite;
                silo.Telemetry.Record(invocation, startedMs, Stopwatch.GetElapsedTime(started), 200, null, console.Drain());
                activity?.SetTag(SimulatorTelemetry.Tags.Outcome, "ok");
                return Stored.AlarmMs;
            }

            Stored.AlarmRetries = 0;
            silo.Telemetry.Record(invocation, startedMs, Stopwatch.GetElapsedTime(started), 200, null, console.Drain());
            activity?.SetTag(SimulatorTelemetry.Tags.Outcome, "ok");
        }
        catch (Exception ex)
        {
            Failed(activity, invocation, startedMs, started, ex, console);

            // Retried with backoff (its new time replaces one the handler set), until the limit drops it.
            if (retry < AlarmRetryLimit)
            {
                Stored.AlarmRetries = retry + 1;
                Stored.AlarmMs = silo.Clock.UtcNow.ToUnixTimeMilliseconds() + (AlarmRetryStartMs << retry);
            }
            else
            {
                Stored.AlarmRetries = 0;
            }
        }

        await WriteStateAsync();
        return Stored.AlarmMs;
    }

    /// <summary>The platform's grace before an idle object that can hibernate (no timer, fetch or standard-API socket pending) hibernates.</summary>
    public static readonly TimeSpan HibernationGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an idle object that cannot hibernate (a timer or a fetch of its code pending) stays
    /// in memory with no request or event: the platform says 70 to 140 s; dosim takes the shortest.
    /// </summary>
    public static readonly TimeSpan EvictionGrace = TimeSpan.FromSeconds(70);

    public Task<string?> SocketConnected(Guid socket, ISocketPeer peer, string? peerSilo)
    {
        if (_sockets?.Get(socket) is not { } open)
        {
            // The object reset (or lost its silo) before the client connected.
            throw new InvalidOperationException(WebSocketLimits.ResetReason);
        }

        open.Connect(peer, peerSilo, silo.Membership.LocalPeer(peer));
        if (peerSilo is not null)
        {
            silo.Membership.Watch(this);
        }

        if (!open.Hibernatable)
        {
            // A standard socket keeps the object in memory, as on the platform.
            DelayDeactivation(TimeSpan.FromDays(3650));
        }

        Idle();
        return Task.FromResult<string?>(SiloName);
    }

    public Task SocketReceived(Guid socket, SocketFrame[] frames) => TrackedAsync(async () =>
    {
        await ReceiveAsync(socket, frames);
        return true;
    });

    private async Task ReceiveAsync(Guid socketId, SocketFrame[] frames)
    {
        if (_broken)
        {
            await RecoverOnceAsync();
        }

        var snapshot = await CurrentSnapshotAsync();
        await ApplyAsync(snapshot);
        if (_sockets?.Get(socketId) is not { } socket)
        {
            // Closed by a reset (its client has the close frame).
            return;
        }

        if (socket.ClosedIncoming)
        {
            // Closed by its peer, whose connection has now dropped (no Close answered it): disconnected.
            if (frames.Any(f => f.IsClose && !f.WasClean))
            {
                socket.ReadyState = ServerSocket.Closed;
                _sockets.Remove(socket);
            }

            return;
        }

        var (instance, version, console) = ((JavaScriptDurableObject)_instance!, _version!, _console!);
        CallerContext.Set(version);
        var events = new List<SocketFrame>(frames.Length);
        foreach (var frame in frames)
        {
            if (frame.IsClose)
            {
                socket.ClosedIncoming = true;
                // The runtime answers a Close itself only on a standard socket (workerd's read loop);
                // a hibernatable one's is answered by the code's close(), as the platform's docs show.
                if (!socket.Hibernatable && instance.AutoReplyToClose && frame.WasClean)
                {
                    socket.Send(SocketFrame.Close(frame.CloseCode!.Value, frame.CloseReason));
                }

                socket.ReadyState = socket.ClosedOutgoing || !frame.WasClean ? ServerSocket.Closed : ServerSocket.Closing;
                events.Add(frame);
                break;
            }

            socket.Traffic?.AddReceived(1);

            // The auto-response answers without running the object's code.
            if (socket.Hibernatable && _sockets.AutoResponse is { } auto && frame.Text == auto.Request)
            {
                socket.Send(SocketFrame.Message(auto.Response));
                socket.AutoResponseMs = silo.Clock.UtcNow.ToUnixTimeMilliseconds();
                continue;
            }

            events.Add(frame);
        }

        try
        {
            if (events.Count == 0)
            {
                return;
            }

            if (!socket.Hibernatable)
            {
                // A standard socket's events run in the invocation that accepted it, not as invocations of their own.
                using var activity = SimulatorTelemetry.Source.StartActivity("durable_object websocket");
                Tag(activity, version);
                await UnlessResetAsync(instance.SocketEventsAsync(socket, events));
                return;
            }

            // Each event of a hibernatable socket is an invocation of the object, as the platform traces it.
            foreach (var frame in events)
            {
                using var activity = SimulatorTelemetry.Source.StartActivity("durable_object websocket");
                Tag(activity, version);
                var invocation = new Invocation(_workerName, snapshot.Deployment!.Id, version, null, _className, EventType: "hibernatable_web_socket", WebSocketEvent: TraceWebSocketEvent.Of(frame));
                var startedMs = silo.Telemetry.Now();
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var outcome = await UnlessResetAsync(instance.SocketEventsAsync(socket, [frame]));
                    var thrown = outcome.Error is { } error ? new UncaughtJavaScriptException(error) : null;
                    silo.Telemetry.Record(invocation, startedMs, Stopwatch.GetElapsedTime(started), thrown is null ? 200 : 500, thrown, console.Drain());
                    activity?.SetTag(SimulatorTelemetry.Tags.Outcome, thrown is null ? "ok" : "exception");
                }
                catch (Exception ex)
                {
                    Failed(activity, invocation, startedMs, started, ex, console);
                    throw;
                }
            }
        }
        finally
        {
            if (socket.ReadyState == ServerSocket.Closed)
            {
                _sockets.Remove(socket);
            }
        }
    }

    /// <summary>A silo whose gateway held some of this object's clients died: those sockets dropped (queued on the object's own scheduler).</summary>
    internal void PeerSiloDied(string deadSilo)
    {
        var run = new Task(() =>
        {
            foreach (var socket in _sockets?.All.Where(s => s.PeerSilo == deadSilo && !s.ClosedIncoming).ToList() ?? [])
            {
                Dropped(socket);
            }
        });
        GrainContext.Scheduler.QueueTask(run);
    }

    // The gateway no longer has the socket's client (its silo died): the object hears a drop.
    private void Dropped(ServerSocket socket) =>
        _ = this.AsReference<IDurableObjectGrain>().SocketReceived(socket.Id, [SocketFrame.Close(WebSocketLimits.DroppedCode, WebSocketLimits.DroppedReason, wasClean: false)]);

    // Every call is counted while it runs: what may hibernate (sockets, a pending code update) waits for none to be in flight.
    private async Task<T> TrackedAsync<T>(Func<Task<T>> work)
    {
        _inFlight++;
        try
        {
            return await work();
        }
        finally
        {
            _inFlight--;
            Idle();
        }
    }

    // An event ended: the object is idle from now, and the silo's idle sweep looks at it once the
    // grace has passed (one look waiting at a time).
    private void Idle()
    {
        var now = silo.Clock.UtcNow;
        Volatile.Write(ref _idleSinceTicks, now.UtcTicks);
        WatchIdle(now + HibernationGrace);
    }

    private void WatchIdle(DateTimeOffset at)
    {
        if (_idleWatched || _deactivated || silo.Options.PreventEviction)
        {
            return;
        }

        _idleWatched = true;
        silo.Idle.LookAt(this, at);
    }

    /// <summary>The silo's idle sweep reached this object's moment: it looks on its own turn, as a refresh is queued, and an advance of the clock waits for the look.</summary>
    internal void IdleDue()
    {
        silo.Clock.BeginWork();
        GrainContext.Scheduler.QueueTask(new Task(static grain => ((DurableObjectGrain)grain!).LookWhetherIdle(), this));
    }

    // The platform's lifecycle: an idle object that can hibernate leaves memory after the grace
    // (its hibernatable sockets stay open); one whose code has a timer or a fetch pending cannot,
    // and is evicted after a longer spell with no request or event. A call in flight or a
    // standard-API socket keeps it in memory: the call's end, or the socket's close, watches again.
    private void LookWhetherIdle()
    {
        var deactivating = false;
        try
        {
            _idleWatched = false;
            if (_deactivated || _deactivationWork || _inFlight > 0 || _sockets is { HasStandard: true } || _sockets is { HasUnconnected: true })
            {
                // Going already; or a call in flight, a standard-API socket or one not yet
                // connected keeps it in memory: the call's end, or the socket's connection or
                // close, watches again (no look each grace meanwhile, which would stop every
                // advance of the virtual clock every 10 s).
                return;
            }

            var now = silo.Clock.UtcNow;
            if (now < IdleSince + HibernationGrace)
            {
                WatchIdle(IdleSince + HibernationGrace);
                return;
            }

            if (_instance is JavaScriptDurableObject { CanHibernate: false } && now < IdleSince + EvictionGrace)
            {
                // Looked at again each grace: the timer may have fired meanwhile.
                WatchIdle(Min(now + HibernationGrace, IdleSince + EvictionGrace));
                return;
            }

            // An advance of the clock waits for the deactivation too (OnDeactivateAsync ends the work).
            (_deactivationWork, deactivating) = (true, true);
            DeactivateOnIdle();
        }
        finally
        {
            if (!deactivating)
            {
                silo.Clock.EndWork();
            }
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private DateTimeOffset IdleSince => new(Volatile.Read(ref _idleSinceTicks), TimeSpan.Zero);

    /// <summary>
    /// Read by the idle sweep off the object's turn: when a request or event came since it was
    /// bucketed, the moment its grace now ends, to bucket it again without a turn of its own (a
    /// busy object is looked at once per grace); null when its grace may have passed.
    /// </summary>
    internal DateTimeOffset? GraceEndsAfter(DateTimeOffset now) => IdleSince + HibernationGrace is var ends && now < ends ? ends : null;

    // A deferred update's deadline on the simulated clock: then the object resets onto the newest
    // version assigned to it, as an immediate update would. A new deadline replaces the wait for
    // the old one (a later deploy may bring it forward); null ends it.
    private void SetSwitch(DateTimeOffset? by)
    {
        if (by == _switchBy && (by is null || _switchWait is not null))
        {
            return;
        }

        _switchBy = by;
        _switchWait?.Cancel();
        _switchWait?.Dispose();
        _switchWait = null;
        if (by is { } due)
        {
            _switchWait = new CancellationTokenSource();
            _ = SwitchWhenDueAsync(due, _switchWait.Token);
        }
    }

    private async Task SwitchWhenDueAsync(DateTimeOffset due, CancellationToken cancelled)
    {
        try
        {
            await Task.Delay(due - silo.Clock.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero, silo.Clock.Time, cancelled);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!_deactivated && _switchBy == due)
        {
            try
            {
                await Refresh();
            }
            catch (Exception ex)
            {
                // Its callers see the object's state as it is; the failure is logged, not lost.
                LogCannotBuild(silo.Logger, Key, ex.Message);
            }
        }
    }

    private static async Task<bool> Done(Task work)
    {
        await work;
        return true;
    }

    long? IObjectAlarm.DueMs => Stored.AlarmMs;

    async Task IObjectAlarm.SetAsync(long? dueMs)
    {
        Stored.AlarmMs = dueMs;
        Stored.AlarmRetries = 0;
        await WriteStateAsync();
        await (_alarmSent = SendAlarmAfterAsync(_alarmSent));
    }

    // The index hears of the object's alarm in order, and each time what the alarm is now: a
    // deleteAlarm() then a setAlarm() in one turn cannot reach it the other way round.
    private async Task SendAlarmAfterAsync(Task previous)
    {
        try
        {
            await previous;
        }
        catch (Exception)
        {
            // Its caller got the error; this one sends the alarm as it is now.
        }

        if (silo.AlarmWorkers.TryAdd(_workerName, true))
        {
            await GrainFactory.GetGrain<IAlarmRegistryGrain>(0).Add(_workerName);
        }

        await GrainFactory.GetGrain<IAlarmIndexGrain>(AlarmIndex.Key(_workerName, AlarmIndex.PartitionOf(_objectId))).Schedule(Key, Stored.AlarmMs);
    }


    private async ValueTask<DeploymentSnapshot> CurrentSnapshotAsync()
    {
        var snapshot = await silo.Cache.GetAsync(_workerName);
        return snapshot.Ranges is null
            ? throw new WorkerNotDeployedException($"Worker '{_workerName}' has no deployment, so its Durable Objects cannot run.")
            : snapshot;
    }

    private void Tag(Activity? activity, WorkerVersion version)
    {
        if (activity is not null)
        {
            SimulatorTelemetry.TagVersion(activity, _workerName, version);
            activity.SetTag(SimulatorTelemetry.Tags.Class, _className);
            activity.SetTag(SimulatorTelemetry.Tags.ObjectId, _objectId);
        }
    }

    private void Failed(Activity? activity, in Invocation invocation, long startedMs, long started, Exception ex, WorkerConsole console)
    {
        silo.Telemetry.Record(invocation, startedMs, Stopwatch.GetElapsedTime(started), 500, ex, console.Drain());
        activity?.SetTag(SimulatorTelemetry.Tags.Outcome, "exception");
        activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
    }

    // The old code's work, unless the object resets first: then the call fails with the platform's
    // reset error and the work is abandoned, as the platform abandons it.
    private Task<T> UnlessResetAsync<T>(Task<T> work) => work.IsCompleted ? work : WaitUnlessResetAsync(work);

    private async Task<T> WaitUnlessResetAsync<T>(Task<T> work)
    {
        var reset = (_reset ??= NewResetSignal()).Task;
        _waiting++;
        var first = await Task.WhenAny(work, reset);
        if (--_waiting == 0 && ReferenceEquals(_reset?.Task, reset))
        {
            _reset = null;
        }

        if (first == reset)
        {
            _ = work.ContinueWith(static t => t.Exception, TaskScheduler.Default);

            // Each waiting call fails with an exception of its own.
            throw reset.Result is DurableObjectResetException ? new DurableObjectResetException(reset.Result.Message) : new Runtime.JavaScript.UncaughtJavaScriptException(reset.Result.Message);
        }

        return await work;
    }

    // The version's SIM_* vars act here as in the Worker: its code misbehaves wherever it runs.
    private async Task<T> MisbehaveThenAsync<T>(Misbehaviour misbehaviour, Func<Task<T>> work)
    {
        var generation = _generation;
        await misbehaviour.ApplyAsync(silo.Random, silo.Clock.Time, $"Durable Object class {_className}");

        // Reset while it waited (SIM_LATENCY_MS): the old code does not run.
        return generation == _generation ? await work() : throw new DurableObjectResetException();
    }

    public async Task Refresh()
    {
        // An object without an instance has nothing to reset, unless it has sockets to close.
        if ((_instance is null && _sockets is not { Count: > 0 }) || !silo.Cache.TryGet(_workerName, out var snapshot) || snapshot.Ranges is null)
        {
            return;
        }

        using var activity = SimulatorTelemetry.Source.StartActivity("durable_object refresh");
        activity?.SetTag(SimulatorTelemetry.Tags.Worker, _workerName);
        activity?.SetTag(SimulatorTelemetry.Tags.Class, _className);
        activity?.SetTag(SimulatorTelemetry.Tags.ObjectId, _objectId);
        try
        {
            await ApplyAsync(snapshot);
        }
        catch (ScriptException ex)
        {
            // The new version cannot build this object: it keeps running the code it has.
            LogCannotBuild(silo.Logger, Key, ex.Message);
        }
    }

    /// <summary>
    /// <see cref="Refresh"/> queued on this activation's own scheduler by this silo's agent, without
    /// the messaging of a grain call: it interleaves as a Refresh call does. False when the
    /// activation went away before it ran (a queued task still runs there): then it does nothing.
    /// </summary>
    /// <returns>Whether it ran (the activation was still there), and, if the object's update is deferred, by when it takes its new version at the latest.</returns>
    internal Task<(bool Ran, DateTimeOffset? SwitchBy)> RefreshHereAsync()
    {
        var run = new Task<Task<(bool, DateTimeOffset?)>>(static grain => ((DurableObjectGrain)grain!).RefreshIfActiveAsync(), this);
        GrainContext.Scheduler.QueueTask(run);
        return run.Unwrap();
    }

    private async Task<(bool, DateTimeOffset?)> RefreshIfActiveAsync()
    {
        if (_deactivated)
        {
            return (false, null);
        }

        await Refresh();
        return (true, _switchBy);
    }

    public Task<DurableObjectStatus> GetStatus() => Task.FromResult(new DurableObjectStatus
    {
        WorkerName = _workerName,
        ClassName = _className,
        ObjectId = _objectId,
        VersionId = Stored.VersionId,
        ResetCount = Stored.ResetCount,
        Resets = [.. Stored.Resets ?? []],
        IsActive = _instance is not null,
        RequestsSinceBuilt = _instance is null ? 0 : _requestsSinceBuilt,
        Silo = RuntimeIdentity,
    });

    // Every decision is made before the first await, so interleaved calls never decide twice.
    private Task ApplyAsync(DeploymentSnapshot snapshot)
    {
        var now = silo.Clock.UtcNow;
        var due = _switchBy <= now;
        if (_instance is not null && snapshot.Sequence <= _appliedSequence && !due)
        {
            return Task.CompletedTask;
        }

        var assigned = snapshot.Ranges!.VersionFor(_objectId);
        if (_instance is not null && assigned == _version!.Id)
        {
            _appliedSequence = snapshot.Sequence;
            SetSwitch(null);
            return Task.CompletedTask;
        }

        if (_instance is not null && !due)
        {
            // An active object takes another version by its deployment's strategy: at once, or when
            // it hibernates, or by the first deadline of the deployments that reassigned it.
            var strategy = snapshot.Deployment?.EffectiveCodeUpdate ?? CodeUpdateStrategy.ImmediateUpdate;
            var by = strategy.SwitchBy(now, _switchBy);
            if (by > now)
            {
                _appliedSequence = snapshot.Sequence;
                SetSwitch(by);
                WatchIdle(IdleSince + HibernationGrace);
                return Task.CompletedTask;
            }
        }

        SetSwitch(null);

        // Build first: a version that cannot build this object changes nothing.
        var version = snapshot.Version(assigned);
        var generation = _generation + 1;
        var (instance, console) = Build(version, generation, StoreFor(snapshot));

        var wasActive = _instance is not null;
        var changed = Stored.VersionId is { } from && from != assigned;
        if (changed)
        {
            var previous = Stored.VersionId!.Value;
            Stored.ResetCount++;
            (Stored.Resets ??= []).Add(new ResetRecord(snapshot.Deployment!.Id, previous, assigned, silo.Clock.UtcNow, wasActive));
            silo.Telemetry.RecordReset(_workerName, _className, _objectId, previous, assigned, wasActive);
            Activity.Current?.AddEvent(new ActivityEvent("durable_object.reset", tags: new ActivityTagsCollection
            {
                [SimulatorTelemetry.Tags.FromVersion] = previous.ToString(),
                [SimulatorTelemetry.Tags.ToVersion] = assigned.ToString(),
                [SimulatorTelemetry.Tags.Deployment] = snapshot.Deployment.Id.ToString(),
                [SimulatorTelemetry.Tags.WasActive] = wasActive,
            }));
        }

        if (changed && _sockets is { Count: > 0 } sockets)
        {
            // The platform closes every socket of an object whose code changed, hibernated ones too.
            var closed = sockets.CloseAll(WebSocketLimits.ResetCode, WebSocketLimits.ResetReason);
            silo.Telemetry.SocketTraffic(_workerName, _className, Stored.VersionId!.Value).AddClosedByReset(closed);
        }

        silo.Telemetry.InstanceChanged(_workerName, _className, wasActive ? _version!.Id : null, assigned);

        var first = Stored.VersionId is null;
        Stored.VersionId = assigned;
        _generation = generation;
        _reset?.TrySetResult(new DurableObjectResetException());
        _reset = null;
        _instance = instance;
        _console = console;
        _version = version;
        if (_sockets is not null)
        {
            _sockets.Traffic = silo.Telemetry.SocketTraffic(_workerName, _className, assigned);
        }

        _appliedSequence = snapshot.Sequence;
        _requestsSinceBuilt = 0;
        silo.Active.Set(_workerName, _className, _objectId, new ActiveObject(assigned, this));
        var write = changed || first ? WriteStateAsync() : Task.CompletedTask;
        return Stored.IndexedResets == Stored.ResetCount ? write : WriteThenIndexAsync(write);
    }

    // The caller waits for the object's own write only; the index entry follows it, and its one
    // continuation on the write (not a second one beside the caller's) keeps a reset storm cheap.
    private async Task WriteThenIndexAsync(Task write)
    {
        var entry = new ObjectEntry
        {
            ClassName = _className,
            ObjectId = _objectId,
            Name = _objectName,
            VersionId = Stored.VersionId!.Value,
            ResetCount = Stored.ResetCount,
            Resets = [.. Stored.Resets ?? []],
        };
        await write;
        _ = RecordInIndexAsync(entry);
    }

    // The index learns what the object is now without holding up the call: the entry goes to the
    // silo's batching writer once the object's state holds it (an entry is never ahead of the
    // object's own state), and only once the index has stored it does the object's state say so
    // (at its next write). Until then every activation sends it again, so an entry lost with a silo
    // comes back the next time the object runs.
    private async Task RecordInIndexAsync(ObjectEntry entry)
    {
        try
        {
            await silo.Index.RecordAsync(_workerName, entry);
            if (entry.ResetCount > (Stored.IndexedResets ?? -1))
            {
                Stored.IndexedResets = entry.ResetCount;
            }
        }
        catch (Exception ex)
        {
            LogIndexFailed(silo.Logger, Key, ex.Message);
        }
    }

    private (IDurableObject Instance, WorkerConsole Console) Build(WorkerVersion version, int generation, IDurableObjectStore store)
    {
        var script = silo.Scripts.For(version, _workerName);
        var context = new InvocationContext(null, silo.Clock.Time);
        var env = new WorkerEnv(version, script, GrainFactory, context, _workerName);
        var objectState = new DurableObjectState(_objectId, _objectName, new DurableObjectStorage(store, generation)) { Break = reason => BreakHere(generation, reason), Sockets = Sockets };
        return (script.CreateDurableObject(services, _className, objectState, env), context.Console);
    }

    // The class's backend is fixed by the migration that made it: SQLite for new_sqlite_classes.
    private IDurableObjectStore StoreFor(DeploymentSnapshot snapshot) => _store ??= snapshot.SqliteClasses.Contains(_className)
        ? new SqliteObjectStore(this)
        : new KvObjectStore(this);

    // A SQLite-backed object without a database: none is open, and storage holds no image.
    Dictionary<string, string>? ISqliteObjectHost.Entries => _database is null && ImageState.Image is null
        ? ImageState.Entries ??= new(StringComparer.Ordinal)
        : null;

    // Read at activation for a class the silo knew as SQLite-backed; new (and empty) for one it learnt of since.
    private GrainState<SqliteImageState> Image => _image ??= new(new SqliteImageState());

    private SqliteImageState ImageState => Image.State ??= new SqliteImageState();

    SqliteObjectDatabase ISqliteObjectHost.OpenDatabase()
    {
        if (_database is { } open)
        {
            return open;
        }

        var state = ImageState;
        _database = SqliteObjectDatabase.Open(state.Image);
        if (state.Entries is { Count: > 0 } entries)
        {
            _database.KvApply([.. entries.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value))]);
        }

        // From now on the database holds everything; the image read is not needed again.
        (state.Image, state.Entries) = (null, null);
        return _database;
    }

    bool ISqliteObjectHost.IsCurrent(int generation) => IsCurrent(generation);

    Task ISqliteObjectHost.PersistAsync() => WriteImageAsync();

    Dictionary<string, string> IKvObjectHost.Entries => Stored.Storage;

    bool IKvObjectHost.IsCurrent(int generation) => IsCurrent(generation);

    Task IKvObjectHost.PersistAsync() => WriteStateAsync();

    private bool IsCurrent(int generation) => generation == _generation;

    // Writes are serialized: interleaved calls must not race on the state's ETag. Grain code runs
    // one turn at a time, so reading and swapping _lastWrite before the first await is safe.
    private Task WriteStateAsync() => Write(image: false);

    // The image is taken when the write starts: it holds every turn's changes up to then.
    private Task WriteImageAsync() => Write(image: true);

    private Task Write(bool image)
    {
        var write = ++_writes;
        var task = _lastWrite.IsCompleted ? WriteOnceAsync(write, image) : WriteAfterAsync(_lastWrite, write, image);
        _lastWrite = task.IsCompleted ? Task.CompletedTask : task;
        return task;
    }

    private async Task WriteAfterAsync(Task previous, int write, bool image)
    {
        try
        {
            await previous;
        }
        catch (Exception) when (!previous.IsCompletedSuccessfully)
        {
            // That write's caller got its error; this write goes ahead with the current state.
        }

        await WriteOnceAsync(write, image);
    }

    // A stale ETag means another activation wrote after this one read: every later write from this
    // state would fail too. The call fails, and this activation goes away, so the next call
    // activates the object again on what storage holds.
    private async Task WriteOnceAsync(int write, bool image)
    {
        try
        {
            if (image && _database is null)
            {
                // No database yet: the entries are the object's data.
                await silo.Storage.WriteStateAsync(ImageName, GrainContext.GrainId, Image);
            }
            else if (image)
            {
                ImageState.Image = _database!.Serialize();
                try
                {
                    await silo.Storage.WriteStateAsync(ImageName, GrainContext.GrainId, Image);
                }
                finally
                {
                    // The open database is what the object reads; the stored image is in the store.
                    ImageState.Image = null;
                }
            }
            else
            {
                await silo.Storage.WriteStateAsync(StateName, GrainContext.GrainId, _state);
            }
        }
        catch (InconsistentStateException ex)
        {
            LogConflict(silo.Logger, Key, ex.Message);
            _broken = true;
            DeactivateOnIdle();
            throw;
        }
        catch (Exception ex)
        {
            // The platform's output gate: a write that did not commit breaks the instance, and
            // nothing it held in memory is read again (the next call starts from storage).
            LogWriteFailed(silo.Logger, Key, ex.Message);
            _broken = true;
            throw;
        }
        finally
        {
            // The last write done, nothing waits on it: an idle object holds no finished write (its
            // state machine was about 100 bytes of every active object).
            if (write == _writes)
            {
                _lastWrite = Task.CompletedTask;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable Object {Key} is not in its Worker's object index yet ({Reason}); it is sent again when the object next activates")]
    private static partial void LogIndexFailed(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable Object {Key} lost a storage race ({Reason}); deactivating so the next call re-reads its state")]
    private static partial void LogConflict(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable Object {Key} could not store its state ({Reason}); its next call starts again from what storage holds")]
    private static partial void LogWriteFailed(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable Object {Key} was reset by its blockConcurrencyWhile ({Reason}); its next call builds a new instance")]
    private static partial void LogInstanceBroken(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable Object {Key} keeps its version: {Reason}")]
    private static partial void LogCannotBuild(ILogger logger, string key, string reason);

    private static TaskCompletionSource<Exception> NewResetSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
