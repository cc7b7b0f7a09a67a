using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Core.Analytics;
using Simulator.Grains.Hosting;

namespace Simulator.Grains.Telemetry;

/// <summary>
/// What an invocation was: a Worker's fetch, a request to one of its Durable Objects, or (with
/// <see cref="RpcMethod"/> and no request) a JS RPC call to one, or to one of the Worker's
/// entrypoints over a service binding (<see cref="Entrypoint"/>, no class).
/// </summary>
/// <remarks><see cref="Caller"/> is the version of the code that called an object, when code did.</remarks>
public readonly record struct Invocation(string Worker, Guid DeploymentId, WorkerVersion Version, WorkerRequest? Request, string? ClassName, string? RpcMethod = null, string EventType = "fetch", long? ScheduledTimeMs = null, string? Entrypoint = null, TraceWebSocketEvent? WebSocketEvent = null, CallerVersion? Caller = null);

/// <summary>
/// A silo's record of every invocation: exact counts per worker, deployment and version (for
/// `dosim analytics`), a bounded buffer of trace events per worker (for `dosim tail`), the NDJSON
/// trace-event output, OpenTelemetry metrics, and logs with the version fields.
/// </summary>
public sealed partial class TelemetryRecorder : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<TelemetryRecorder, bool> Live = new();
    private readonly ConcurrentDictionary<string, WorkerRecord> _workers = new(StringComparer.Ordinal);
    private readonly TraceEventSink? _sink;
    private readonly int _bufferSize;
    private readonly TimeProvider _time;
    private readonly ILogger<TelemetryRecorder> _logger;
    private long _sequence;

    // Immutable parts every event of a version (or a status) shares: made once, not per invocation.
    private static readonly ConditionalWeakTable<WorkerVersion, TraceScriptVersion> ScriptVersions = [];
    private static readonly TraceResponse?[] Responses = new TraceResponse?[600];

    private static TraceResponse Response(int status) =>
        status is >= 0 and < 600 ? Responses[status] ??= new TraceResponse(status) : new TraceResponse(status);

    static TelemetryRecorder() =>
        SimulatorTelemetry.Meter.CreateObservableGauge("dosim.durable_objects.active", ObserveActive, "{object}", "Durable Objects with a live instance, by worker, class and version");

    public TelemetryRecorder(DurableObjectsSimulatorOptions options, TimeProvider time, ILogger<TelemetryRecorder> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_time, _logger, _bufferSize, Enabled) = (time, logger, options.TraceEventBufferSize, options.RecordTelemetry);
        _sink = options.TraceEventsOutput is { } output ? new TraceEventSink(output) : null;
        Live[this] = true;
    }

    /// <summary>Off: nothing is counted, buffered or written (the baseline of the telemetry cost harness).</summary>
    public bool Enabled { get; set; }

    public long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Records one finished invocation; <paramref name="exception"/> is null when it ended normally.</summary>
    public void Record(in Invocation invocation, long startedMs, TimeSpan elapsed, int status, Exception? exception, ImmutableArray<TraceLog> logs)
    {
        if (!Enabled)
        {
            return;
        }

        // A sandbox limit has the platform's own outcome (exceededCpu, exceededMemory).
        var outcome = exception switch
        {
            null => "ok",
            _ => LimitOf(exception)?.Outcome ?? "exception",
        };
        var worker = _workers.GetOrAdd(invocation.Worker, static _ => new WorkerRecord());
        var version = invocation.Version;
        if (invocation.ClassName is null)
        {
            worker.Invocations.GetOrAdd((invocation.DeploymentId, version.Id), static _ => new InvocationCounter()).Add(elapsed, exception);
        }
        else
        {
            worker.Objects.GetOrAdd((invocation.ClassName, invocation.DeploymentId, version.Id), static _ => new ObjectCounter()).Add(exception is not null);
            if (invocation.Caller is { } caller)
            {
                worker.Skew.GetOrAdd((invocation.ClassName, invocation.DeploymentId, caller.Id, version.Id), static _ => new ObjectCounter()).Add(exception is not null);
            }
        }

        if (SimulatorTelemetry.Requests.Enabled || SimulatorTelemetry.Duration.Enabled || SimulatorTelemetry.Errors.Enabled)
        {
            var tags = new TagList
            {
                { SimulatorTelemetry.Tags.Worker, invocation.Worker },
                { SimulatorTelemetry.Tags.VersionId, SimulatorTelemetry.Text(version.Id) },
                { SimulatorTelemetry.Tags.VersionTag, version.Tag },
                { SimulatorTelemetry.Tags.Kind, invocation.ClassName is null ? "worker" : "durable_object" },
                { SimulatorTelemetry.Tags.Outcome, outcome },
            };
            SimulatorTelemetry.Requests.Add(1, tags);
            SimulatorTelemetry.Duration.Record(elapsed.TotalMilliseconds, tags);
            if (exception is not null)
            {
                SimulatorTelemetry.Errors.Add(1, tags);
            }
        }

        if (exception is not null)
        {
            LogFailed(_logger, invocation.Worker, invocation.ClassName ?? "fetch", version.Id, version.Tag, exception.Message);
        }
        else
        {
            LogInvoked(_logger, invocation.Worker, invocation.ClassName ?? "fetch", version.Id, version.Tag, status, elapsed.TotalMilliseconds);
        }

        var traceEvent = new TraceEvent
        {
            ScriptName = invocation.Worker,
            ScriptVersion = ScriptVersions.GetValue(version, static v => new TraceScriptVersion(v.Id, v.Message, v.Tag)),
            EventTimestampMs = startedMs,
            Outcome = outcome,
            EventType = invocation.RpcMethod is null ? invocation.EventType : "rpc",
            Entrypoint = invocation.ClassName ?? invocation.Entrypoint,
            Event = invocation.Request is { } request
                ? new TraceEventInfo(new TraceRequest(request.Url, request.Method), exception is null ? Response(status) : null)
                : new TraceEventInfo(null, null, invocation.RpcMethod, invocation.ScheduledTimeMs, invocation.WebSocketEvent),
            Exceptions = exception is null ? [] : [new TraceException(exception.GetType().Name, exception.Message, Now(), (exception.GetBaseException() as Runtime.JavaScript.UncaughtJavaScriptException)?.JavaScriptStack)],
            Logs = logs,
            Sequence = Interlocked.Increment(ref _sequence),
            CallerScriptVersion = invocation.Caller is { } by ? new TraceScriptVersion(by.Id, null, by.Tag) : null,
        };
        worker.Events.Add(traceEvent, _bufferSize);
        _sink?.Write(traceEvent);
    }

    private static Runtime.JavaScript.JavaScriptLimitException? LimitOf(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is Runtime.JavaScript.JavaScriptLimitException limit)
            {
                return limit;
            }
        }

        return null;
    }

    /// <summary>A Durable Object reset: counted, measured and logged with both versions.</summary>
    public void RecordReset(string workerName, string className, string objectId, Guid from, Guid to, bool wasActive)
    {
        if (!Enabled)
        {
            return;
        }

        var worker = _workers.GetOrAdd(workerName, static _ => new WorkerRecord());
        worker.Resets.GetOrAdd((className, from, to), static _ => new Tally()).Add(1);
        if (SimulatorTelemetry.Resets.Enabled)
        {
            SimulatorTelemetry.Resets.Add(1, new TagList
            {
                { SimulatorTelemetry.Tags.Worker, workerName },
                { SimulatorTelemetry.Tags.Class, className },
                { SimulatorTelemetry.Tags.FromVersion, from.ToString() },
                { SimulatorTelemetry.Tags.ToVersion, to.ToString() },
            });
        }

        LogReset(_logger, workerName, className, objectId, from, to, wasActive);
    }

    /// <summary>The WebSocket counts of a class's sockets on a version (a null class: the Worker's own sockets).</summary>
    internal SocketTraffic SocketTraffic(string workerName, string? className, Guid versionId) =>
        _workers.GetOrAdd(workerName, static _ => new WorkerRecord()).Sockets.GetOrAdd((className ?? string.Empty, versionId), static _ => new SocketTraffic());

    /// <summary>An object's live instance moved from one version to another (null: none).</summary>
    public void InstanceChanged(string workerName, string className, Guid? from, Guid? to)
    {
        var worker = _workers.GetOrAdd(workerName, static _ => new WorkerRecord());
        if (from is { } old)
        {
            worker.Active.GetOrAdd((className, old), static _ => new Tally()).Add(-1);
        }

        if (to is { } current)
        {
            worker.Active.GetOrAdd((className, current), static _ => new Tally()).Add(1);
        }
    }

    public TraceEventPage ReadTraceEvents(string workerName, long afterSequence) =>
        _workers.TryGetValue(workerName, out var worker) ? worker.Events.After(afterSequence) : new TraceEventPage(afterSequence, []);

    /// <summary>The worker's events newer than <paramref name="afterSequence"/>, then each new one as it is recorded.</summary>
    public async IAsyncEnumerable<TraceEvent> Follow(string workerName, long afterSequence, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var events = _workers.GetOrAdd(workerName, static _ => new WorkerRecord()).Events;
        while (!cancellation.IsCancellationRequested)
        {
            var page = events.After(afterSequence);
            foreach (var traceEvent in page.Events)
            {
                yield return traceEvent;
            }

            afterSequence = page.LastSequence;
            try
            {
                await events.WhenNewerThan(afterSequence, cancellation);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    public SiloAnalytics ReadAnalytics(string workerName)
    {
        if (!_workers.TryGetValue(workerName, out var worker))
        {
            return new SiloAnalytics();
        }

        return new SiloAnalytics
        {
            Invocations = [.. worker.Invocations.Select(i => i.Value.Snapshot(i.Key.Deployment, i.Key.Version))],
            Objects = [.. worker.Objects.Select(o => new ObjectCounters { ClassName = o.Key.Class, DeploymentId = o.Key.Deployment, VersionId = o.Key.Version, Requests = o.Value.Requests, Errors = o.Value.Errors })],
            Resets = [.. worker.Resets.Select(r => new ResetCounters(r.Key.Class, r.Key.From, r.Key.To, r.Value.Count))],
            Active = [.. worker.Active.Where(a => a.Value.Count > 0).Select(a => new ActiveObjectCount(a.Key.Class, a.Key.Version, a.Value.Count))],
            Skew = [.. worker.Skew.Select(c => new SkewCell(c.Key.Class, c.Key.Deployment, c.Key.Caller, c.Key.Version, c.Value.Requests, c.Value.Errors))],
            Sockets = [.. worker.Sockets.Where(s => s.Value.Received + s.Value.Sent + s.Value.ClosedByReset > 0).Select(s => new SocketCounters(s.Key.Class.Length == 0 ? null : s.Key.Class, s.Key.Version, s.Value.Received, s.Value.Sent, s.Value.ClosedByReset))],
        };
    }

    public async ValueTask DisposeAsync()
    {
        Live.TryRemove(this, out _);
        if (_sink is not null)
        {
            await _sink.DisposeAsync();
        }
    }

    private static IEnumerable<Measurement<long>> ObserveActive() =>
        Live.Keys.SelectMany(recorder => recorder._workers.SelectMany(w => w.Value.Active.Select(a => new Measurement<long>(a.Value.Count, new TagList
        {
            { SimulatorTelemetry.Tags.Worker, w.Key },
            { SimulatorTelemetry.Tags.Class, a.Key.Class },
            { SimulatorTelemetry.Tags.VersionId, a.Key.Version.ToString() },
        }))));

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Worker} {Entrypoint} ran on version {VersionId} ({VersionTag}): {Status} in {ElapsedMs} ms")]
    private static partial void LogInvoked(ILogger logger, string worker, string entrypoint, Guid versionId, string? versionTag, int status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Worker} {Entrypoint} failed on version {VersionId} ({VersionTag}): {Error}")]
    private static partial void LogFailed(ILogger logger, string worker, string entrypoint, Guid versionId, string? versionTag, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Worker} {Class} object {ObjectId} reset from version {FromVersion} to version {ToVersion} (was active: {WasActive})")]
    private static partial void LogReset(ILogger logger, string worker, string @class, string objectId, Guid fromVersion, Guid toVersion, bool wasActive);

    private sealed class WorkerRecord
    {
        public ConcurrentDictionary<(Guid Deployment, Guid Version), InvocationCounter> Invocations { get; } = new();
        public ConcurrentDictionary<(string Class, Guid Deployment, Guid Version), ObjectCounter> Objects { get; } = new();
        public ConcurrentDictionary<(string Class, Guid Deployment, Guid Caller, Guid Version), ObjectCounter> Skew { get; } = new();
        public ConcurrentDictionary<(string Class, Guid From, Guid To), Tally> Resets { get; } = new();
        public ConcurrentDictionary<(string Class, Guid Version), Tally> Active { get; } = new();
        public ConcurrentDictionary<(string Class, Guid Version), SocketTraffic> Sockets { get; } = new();
        public TraceEventBuffer Events { get; } = new();
    }

    private sealed class InvocationCounter
    {
        private readonly LatencyHistogram _latency = new();
        private readonly ConcurrentDictionary<string, long> _exceptions = new(StringComparer.Ordinal);
        private long _requests;
        private long _errors;

        public void Add(TimeSpan elapsed, Exception? exception)
        {
            Interlocked.Increment(ref _requests);
            _latency.Record(elapsed);
            if (exception is not null)
            {
                Interlocked.Increment(ref _errors);
                _exceptions.AddOrUpdate(exception.Message, 1, static (_, n) => n + 1);
            }
        }

        public VersionCounters Snapshot(Guid deployment, Guid version) => new()
        {
            DeploymentId = deployment,
            VersionId = version,
            Requests = Interlocked.Read(ref _requests),
            Errors = Interlocked.Read(ref _errors),
            Exceptions = _exceptions.ToImmutableDictionary(StringComparer.Ordinal),
            LatencyBuckets = _latency.Buckets().ToImmutableDictionary(),
        };
    }

    // A count changed in place: AddOrUpdate took a lock of the dictionary on every reset of a storm.
    private sealed class Tally
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Add(long delta) => Interlocked.Add(ref _count, delta);
    }

    private sealed class ObjectCounter
    {
        private long _requests;
        private long _errors;

        public long Requests => Interlocked.Read(ref _requests);

        public long Errors => Interlocked.Read(ref _errors);

        public void Add(bool failed)
        {
            Interlocked.Increment(ref _requests);
            if (failed)
            {
                Interlocked.Increment(ref _errors);
            }
        }
    }
}
