using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Simulator.Contracts;

/// <summary>
/// One invocation, in the shape of the platform's Logpush <c>workers_trace_events</c> dataset:
/// top-level fields as the dataset names them, nested fields as the platform's tail events do.
/// </summary>
[GenerateSerializer, Immutable, Alias("dosim.TraceEvent")]
public sealed record TraceEvent
{
    [Id(0)] public required string ScriptName { get; init; }
    [Id(1)] public required TraceScriptVersion ScriptVersion { get; init; }
    [Id(2)] public required long EventTimestampMs { get; init; }

    /// <summary>"fetch" for a Worker invocation or a Durable Object request, "rpc" for a JS RPC call to an object, "alarm" for an object's alarm, "hibernatable_web_socket" for an event of a socket the object accepted with the hibernation API.</summary>
    [Id(3)] public string EventType { get; init; } = "fetch";

    /// <summary>"ok" or "exception", as on the platform.</summary>
    [Id(4)] public required string Outcome { get; init; }

    /// <summary>The Durable Object class for a Durable Object request; null for the Worker itself.</summary>
    [Id(5)] public string? Entrypoint { get; init; }

    [Id(6)] public required TraceEventInfo Event { get; init; }
    [Id(7)] public ImmutableArray<TraceException> Exceptions { get; init; } = [];
    [Id(8)] public ImmutableArray<TraceLog> Logs { get; init; } = [];

    /// <summary>This silo's running number for the event, so a reader asks only for newer ones.</summary>
    [Id(9), JsonIgnore] public long Sequence { get; init; }

    /// <summary>
    /// On a Durable Object's fetch or RPC event: the version of the code that called it (a Worker's, or
    /// another object's), so a v2 Worker calling a v1 object shows. Not a field of the platform's
    /// events; null on other events.
    /// </summary>
    [Id(10), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public TraceScriptVersion? CallerScriptVersion { get; init; }
}

/// <summary>The version of the code making a call, carried to the object it calls (in the call's request context).</summary>
[GenerateSerializer, Immutable, Alias("dosim.CallerVersion")]
public sealed record CallerVersion([property: Id(0)] Guid Id, [property: Id(1)] string? Tag);

[GenerateSerializer, Immutable, Alias("dosim.TraceScriptVersion")]
public sealed record TraceScriptVersion(
    [property: Id(0), JsonPropertyName("id")] Guid Id,
    [property: Id(1), JsonPropertyName("message")] string? Message,
    [property: Id(2), JsonPropertyName("tag")] string? Tag);

/// <summary>What triggered the invocation: a fetch's request and response, or an RPC call's method, as the platform's tail events name them.</summary>
[GenerateSerializer, Immutable, Alias("dosim.TraceEventInfo")]
public sealed record TraceEventInfo(
    [property: Id(0), JsonPropertyName("request"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TraceRequest? Request,
    [property: Id(1), JsonPropertyName("response")] TraceResponse? Response,
    [property: Id(2), JsonPropertyName("rpcMethod"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RpcMethod = null,
    [property: Id(3), JsonPropertyName("scheduledTime"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ScheduledTimeMs = null,
    [property: Id(4), JsonPropertyName("getWebSocketEvent"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TraceWebSocketEvent? WebSocketEvent = null);

/// <summary>A hibernatable WebSocket event, as workerd's tail events name it: "message", or "close" with its code and whether it was clean (dosim delivers no "error" event).</summary>
[GenerateSerializer, Immutable, Alias("dosim.TraceWebSocketEvent")]
public sealed record TraceWebSocketEvent(
    [property: Id(0), JsonPropertyName("webSocketEventType")] string Type,
    [property: Id(1), JsonPropertyName("code"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Code = null,
    [property: Id(2), JsonPropertyName("wasClean"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? WasClean = null)
{
    private static readonly TraceWebSocketEvent MessageEvent = new("message");

    public static TraceWebSocketEvent Of(SocketFrame frame) =>
        frame.IsClose ? new TraceWebSocketEvent("close", frame.CloseCode, frame.WasClean) : MessageEvent;
}

[GenerateSerializer, Immutable, Alias("dosim.TraceRequest")]
public sealed record TraceRequest(
    [property: Id(0), JsonPropertyName("url")] string Url,
    [property: Id(1), JsonPropertyName("method")] string Method);

[GenerateSerializer, Immutable, Alias("dosim.TraceResponse")]
public sealed record TraceResponse([property: Id(0), JsonPropertyName("status")] int Status);

[GenerateSerializer, Immutable, Alias("dosim.TraceException")]
public sealed record TraceException(
    [property: Id(0), JsonPropertyName("name")] string Name,
    [property: Id(1), JsonPropertyName("message")] string Message,
    [property: Id(2), JsonPropertyName("timestamp")] long TimestampMs,
    [property: Id(3), JsonPropertyName("stack"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Stack = null);

/// <summary>A <c>console.log</c>-style line from worker code: level "log", "info", "warn", "error" or "debug".</summary>
[GenerateSerializer, Immutable, Alias("dosim.TraceLog")]
public sealed record TraceLog(
    [property: Id(0), JsonPropertyName("level")] string Level,
    [property: Id(1), JsonPropertyName("message")] ImmutableArray<string> Message,
    [property: Id(2), JsonPropertyName("timestamp")] long TimestampMs,
    [property: Id(3), JsonPropertyName("stack"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Stack = null);

/// <summary>The trace events a silo holds for a Worker after a given sequence number.</summary>
[GenerateSerializer, Immutable, Alias("dosim.TraceEventPage")]
public sealed record TraceEventPage([property: Id(0)] long LastSequence, [property: Id(1)] ImmutableArray<TraceEvent> Events);

/// <summary>One silo's exact counts for one version of a Worker under one deployment.</summary>
[GenerateSerializer, Immutable, Alias("dosim.VersionCounters")]
public sealed record VersionCounters
{
    [Id(0)] public required Guid DeploymentId { get; init; }
    [Id(1)] public required Guid VersionId { get; init; }
    [Id(2)] public long Requests { get; init; }
    [Id(3)] public long Errors { get; init; }
    [Id(4)] public ImmutableDictionary<string, long> Exceptions { get; init; } = ImmutableDictionary<string, long>.Empty;

    /// <summary>Non-empty buckets of Core's LatencyHistogram.</summary>
    [Id(5)] public ImmutableDictionary<int, long> LatencyBuckets { get; init; } = ImmutableDictionary<int, long>.Empty;
}

/// <summary>One silo's counts for the requests to one Durable Object class on one version.</summary>
[GenerateSerializer, Immutable, Alias("dosim.ObjectCounters")]
public sealed record ObjectCounters
{
    [Id(0)] public required string ClassName { get; init; }
    [Id(1)] public required Guid DeploymentId { get; init; }
    [Id(2)] public required Guid VersionId { get; init; }
    [Id(3)] public long Requests { get; init; }
    [Id(4)] public long Errors { get; init; }
}

/// <summary>How many objects of a class reset from one version to another, on one silo.</summary>
[GenerateSerializer, Immutable, Alias("dosim.ResetCounters")]
public sealed record ResetCounters([property: Id(0)] string ClassName, [property: Id(1)] Guid From, [property: Id(2)] Guid To, [property: Id(3)] long Count);

/// <summary>How many objects of a class have a live instance on a version, on one silo.</summary>
[GenerateSerializer, Immutable, Alias("dosim.ActiveObjectCount")]
public sealed record ActiveObjectCount([property: Id(0)] string ClassName, [property: Id(1)] Guid VersionId, [property: Id(2)] long Count);

/// <summary>
/// One silo's WebSocket counts for the sockets of a Durable Object class (a null class: the
/// Worker's own) on one version: messages received and sent, and sockets closed by a reset of
/// their object (counted on the version it left).
/// </summary>
[GenerateSerializer, Immutable, Alias("dosim.SocketCounters")]
public sealed record SocketCounters(
    [property: Id(0)] string? ClassName,
    [property: Id(1)] Guid VersionId,
    [property: Id(2)] long MessagesIn,
    [property: Id(3)] long MessagesOut,
    [property: Id(4)] long ClosedByReset);

/// <summary>Everything one silo counted for one Worker.</summary>
[GenerateSerializer, Immutable, Alias("dosim.SiloAnalytics")]
public sealed record SiloAnalytics
{
    [Id(0)] public ImmutableArray<VersionCounters> Invocations { get; init; } = [];
    [Id(1)] public ImmutableArray<ObjectCounters> Objects { get; init; } = [];
    [Id(2)] public ImmutableArray<ResetCounters> Resets { get; init; } = [];
    [Id(3)] public ImmutableArray<ActiveObjectCount> Active { get; init; } = [];
    [Id(4)] public ImmutableArray<SocketCounters> Sockets { get; init; } = [];

    /// <summary>Calls to Durable Objects by the caller's version and the object's.</summary>
    [Id(5)] public ImmutableArray<Core.Analytics.SkewCell> Skew { get; init; } = [];
}
