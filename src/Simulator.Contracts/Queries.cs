using System.Collections.Immutable;
using Simulator.Core;
using Simulator.Core.Analytics;

namespace Simulator.Contracts;

/// <summary>
/// The cluster's reads about one Worker (keyed by its name), answered inside the cluster: every
/// surface (the CLI, <c>WorkerHandle</c> in Simulator.Testing, the coming REST API) asks this and
/// only formats the answer. A stateless worker, local to the caller's silo.
/// </summary>
[Alias("dosim.IWorkerQueryGrain")]
public interface IWorkerQueryGrain : IGrainWithStringKey
{
    /// <summary>The history with secret values blanked; null when the Worker does not exist.</summary>
    [Alias("History")]
    Task<WorkerHistory?> History();

    /// <summary>A version by id, unique tag or "latest" (refused with <see cref="RuleRefusedException"/> otherwise).</summary>
    [Alias("Version")]
    Task<WorkerVersion> Version(string idOrTag);

    /// <summary>The ids of the versions a new deployment may name now (the deployable window the cluster is configured with), oldest first.</summary>
    [Alias("Deployable")]
    Task<ImmutableArray<Guid>> Deployable();

    /// <summary>Specs such as "B@20%" resolved to version ids (refused as a deploy would be for unknown versions).</summary>
    [Alias("Resolve")]
    Task<ImmutableArray<VersionShare>> Resolve(ImmutableArray<string> specs);

    /// <summary>
    /// What deploying these specs would do, validated as the deploy would be: the share of the hash
    /// space that moves per version pair, the reorder warnings, and every object the Worker has
    /// (active or not, from the object index) that would change version, up to <paramref name="listLimit"/> listed.
    /// </summary>
    [Alias("Preview")]
    Task<PreviewReport> Preview(ImmutableArray<string> specs, int listLimit, CodeUpdateStrategy? strategy = null);

    /// <summary>Every object the Worker has, from the object index, with whether it is active now.</summary>
    [Alias("Objects")]
    Task<ImmutableArray<ObjectSummary>> Objects(ObjectFilter filter);

    /// <summary>Exact counts from every silo: per deployment and version, and per Durable Object class.</summary>
    [Alias("Analytics")]
    Task<WorkerAnalytics> Analytics();

}

/// <summary>Which objects <see cref="IWorkerQueryGrain.Objects"/> lists.</summary>
[GenerateSerializer, Immutable, Alias("dosim.ObjectFilter")]
public sealed record ObjectFilter
{
    /// <summary>Only objects on this version (id, unique tag or "latest").</summary>
    [Id(0)] public string? Version { get; init; }

    /// <summary>Only objects with a live instance now.</summary>
    [Id(1)] public bool ActiveOnly { get; init; }

    [Id(2)] public string? ClassName { get; init; }
}

/// <summary>One Durable Object as the index and the silos know it.</summary>
[GenerateSerializer, Immutable, Alias("dosim.ObjectSummary")]
public sealed record ObjectSummary
{
    [Id(0)] public required string ClassName { get; init; }
    [Id(1)] public required string ObjectId { get; init; }

    /// <summary>The name its id came from, when it came from idFromName.</summary>
    [Id(2)] public string? Name { get; init; }

    /// <summary>The version it last ran.</summary>
    [Id(3)] public required Guid VersionId { get; init; }

    [Id(4)] public int ResetCount { get; init; }

    /// <summary>Each reset, with whether the object was active when it happened.</summary>
    [Id(5)] public ImmutableArray<ResetRecord> Resets { get; init; } = [];

    [Id(6)] public bool IsActive { get; init; }

    [Id(7)] public string? VersionTag { get; init; }

    /// <summary>The silo its live instance is on, when it is active.</summary>
    [Id(8)] public string? Silo { get; init; }

    /// <summary>Its open WebSockets (while it is active or hibernated).</summary>
    [Id(9)] public int Sockets { get; init; }

    /// <summary>Hibernated: its instance is gone, its hibernatable sockets stay open.</summary>
    [Id(10)] public bool IsHibernated { get; init; }

    /// <summary>The version the current deployment assigns it (the one it runs next; another than <see cref="VersionId"/> while an update is deferred, or until an inactive object runs).</summary>
    [Id(11)] public Guid? AssignedVersionId { get; init; }

    /// <summary>When its deferred code update happens at the latest (simulated clock), while it is active on its old version.</summary>
    [Id(12)] public DateTimeOffset? SwitchBy { get; init; }

    /// <summary>Running a call or an event when it was listed (so <see cref="IsActive"/> too).</summary>
    [Id(13)] public bool IsBusy { get; init; }

    /// <summary>
    /// The platform's lifecycle state: active (a call or event running), idle (in memory, nothing
    /// running), hibernated (instance gone, its WebSockets open) or inactive.
    /// </summary>
    public string State => IsActive ? (IsBusy ? "active" : "idle") : IsHibernated ? "hibernated" : "inactive";
}

/// <summary>What <see cref="IWorkerQueryGrain.Preview"/> found.</summary>
[GenerateSerializer, Immutable, Alias("dosim.PreviewReport")]
public sealed record PreviewReport
{
    [Id(0)] public required ImmutableArray<VersionShare> Proposed { get; init; }

    /// <summary>The share of the hash space (so of all possible objects) that changes version.</summary>
    [Id(1)] public double ResetShare { get; init; }

    [Id(2)] public ImmutableArray<PreviewPair> Pairs { get; init; } = [];
    [Id(3)] public ImmutableArray<string> Warnings { get; init; } = [];

    /// <summary>Every object the Worker has (from the index) and how many of them are active.</summary>
    [Id(4)] public long Objects { get; init; }

    [Id(5)] public long ActiveObjects { get; init; }

    /// <summary>Objects whose version would change (so would reset), and how many of them are active.</summary>
    [Id(6)] public long Changing { get; init; }

    [Id(7)] public long ChangingActive { get; init; }

    /// <summary>The changing objects, by class and id, up to the limit asked for.</summary>
    [Id(8)] public ImmutableArray<PreviewChange> Changes { get; init; } = [];

    /// <summary>Tags of the Worker's tagged versions, for labels.</summary>
    [Id(9)] public ImmutableDictionary<Guid, string> Tags { get; init; } = ImmutableDictionary<Guid, string>.Empty;

    /// <summary>The strategy the preview assumed (the platform's default when none was given).</summary>
    [Id(10)] public CodeUpdateStrategy? CodeUpdate { get; init; }

    /// <summary>What that strategy does to the <see cref="ChangingActive"/> objects: reset now, or deferred until when.</summary>
    [Id(11)] public CodeUpdateForecast? Forecast { get; init; }
}

[GenerateSerializer, Immutable, Alias("dosim.PreviewPair")]
public sealed record PreviewPair([property: Id(0)] Guid From, [property: Id(1)] Guid To, [property: Id(2)] double Share);

[GenerateSerializer, Immutable, Alias("dosim.PreviewChange")]
public sealed record PreviewChange(
    [property: Id(0)] string ClassName,
    [property: Id(1)] string ObjectId,
    [property: Id(2)] string? Name,
    [property: Id(3)] Guid From,
    [property: Id(4)] Guid To,
    [property: Id(5)] bool IsActive);

/// <summary>
/// One `tail` of a Worker, keyed "worker/unique-id" (<see cref="TailKey"/>): a regular grain, so the
/// enumeration stays on the activation that started it.
/// </summary>
[Alias("dosim.IWorkerTailGrain")]
public interface IWorkerTailGrain : IGrainWithStringKey
{
    /// <summary>The Worker's trace events from every silo as they happen (or those held now, with <see cref="TailFilter.Follow"/> off).</summary>
    [Alias("Tail")]
    IAsyncEnumerable<TraceEvent> Tail(TailFilter filter, CancellationToken cancellation = default);
}

/// <summary>Keys of <see cref="IWorkerTailGrain"/>: a new one per tail.</summary>
public static class TailKey
{
    public static string New(string workerName) => $"{workerName}/{Guid.NewGuid():N}";
}

/// <summary>Filters of <see cref="IWorkerTailGrain.Tail"/>.</summary>
[GenerateSerializer, Immutable, Alias("dosim.TailFilter")]
public sealed record TailFilter
{
    /// <summary>Only events of this version (id, unique tag or "latest").</summary>
    [Id(0)] public string? Version { get; init; }

    /// <summary>Only events with this outcome: "ok" or "exception".</summary>
    [Id(1)] public string? Outcome { get; init; }

    /// <summary>Keep going as new events happen; off: the events the silos hold now, then the end.</summary>
    [Id(2)] public bool Follow { get; init; } = true;
}

/// <summary>A Worker's analytics, added up over every silo.</summary>
[GenerateSerializer, Immutable, Alias("dosim.WorkerAnalytics")]
public sealed record WorkerAnalytics
{
    [Id(0)] public required string Worker { get; init; }
    [Id(1)] public Guid? CurrentDeployment { get; init; }

    /// <summary>The current deployment and every earlier one that served traffic, newest first.</summary>
    [Id(2)] public ImmutableArray<DeploymentReport> Deployments { get; init; } = [];

    [Id(3)] public ImmutableArray<ClassAnalytics> DurableObjects { get; init; } = [];

    /// <summary>Tags of the Worker's tagged versions, for labels.</summary>
    [Id(4)] public ImmutableDictionary<Guid, string> Tags { get; init; } = ImmutableDictionary<Guid, string>.Empty;

    /// <summary>WebSocket messages in and out and sockets closed by resets, per class (null: the Worker's own sockets) and version, over every silo.</summary>
    [Id(5)] public ImmutableArray<SocketCounters> Sockets { get; init; } = [];

    /// <summary>
    /// The version skew matrix: calls to each Durable Object class by the calling code's version and
    /// the version the object ran, per deployment (newest first), over every silo.
    /// </summary>
    [Id(6)] public ImmutableArray<Core.Analytics.SkewCell> Skew { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("dosim.ClassAnalytics")]
public sealed record ClassAnalytics(
    [property: Id(0)] string ClassName,
    [property: Id(1)] ImmutableArray<ClassVersionAnalytics> Versions,
    [property: Id(2)] ImmutableArray<ResetCounters> Resets);

[GenerateSerializer, Immutable, Alias("dosim.ClassVersionAnalytics")]
public sealed record ClassVersionAnalytics(
    [property: Id(0)] Guid VersionId,
    [property: Id(1)] long ActiveObjects,
    [property: Id(2)] long Requests,
    [property: Id(3)] long Errors);

/// <summary>One per silo (keyed by the silo's address, placed on it): that silo's telemetry, apart from deployment work.</summary>
[Alias("dosim.ITelemetryAgentGrain")]
public interface ITelemetryAgentGrain : IGrainWithStringKey
{
    [Alias("ReadAnalytics")]
    Task<SiloAnalytics> ReadAnalytics(string workerName);

    /// <summary>This silo's buffered trace events of the worker newer than <paramref name="afterSequence"/>.</summary>
    [Alias("ReadTraceEvents")]
    Task<TraceEventPage> ReadTraceEvents(string workerName, long afterSequence);

    /// <summary>Those, then each new one as it is recorded, until cancelled.</summary>
    [Alias("Follow")]
    IAsyncEnumerable<TraceEvent> Follow(string workerName, long afterSequence, CancellationToken cancellation = default);

    /// <summary>Grain keys and versions of the worker's objects with a live instance on this silo.</summary>
    [Alias("ActiveObjects")]
    Task<ImmutableArray<KeyValuePair<string, Guid>>> ActiveObjects(string workerName);

    /// <summary>Grain keys of the worker's objects on this silo with WebSockets open (active or hibernated), with how many.</summary>
    [Alias("SocketCounts")]
    Task<ImmutableArray<ObjectSocketCount>> SocketCounts(string workerName);

    /// <summary>Grain keys of the worker's objects active on this silo whose code update is deferred, with the deadline of each.</summary>
    [Alias("PendingUpdates")]
    Task<ImmutableArray<KeyValuePair<string, DateTimeOffset>>> PendingUpdates(string workerName);

    /// <summary>Grain keys of the worker's objects on this silo running a call or an event now.</summary>
    [Alias("BusyObjects")]
    Task<ImmutableArray<string>> BusyObjects(string workerName);
}

/// <summary>An object's open WebSockets on a silo, and whether it hibernated there.</summary>
[GenerateSerializer, Immutable, Alias("dosim.ObjectSocketCount")]
public sealed record ObjectSocketCount([property: Id(0)] string Key, [property: Id(1)] int Sockets, [property: Id(2)] bool Hibernated);

/// <summary>
/// One partition of a Worker's object index (keyed "worker/partition"): every object of the Worker
/// from its first run until its storage is deleted, kept in grain storage. Objects write to it when
/// their version changes (first run, reset), never per request.
/// </summary>
[Alias("dosim.IObjectIndexGrain")]
public interface IObjectIndexGrain : IGrainWithStringKey
{
    /// <summary>Records what these objects are now; an older record (fewer resets) never replaces a newer one. Returns once it is stored.</summary>
    [Alias("Record")]
    Task Record(ImmutableArray<ObjectEntry> entries);

    [Alias("Entries")]
    Task<ImmutableArray<ObjectEntry>> Entries();

    /// <summary>
    /// How many of this partition's objects the proposed deployment moves off the version they run,
    /// and the first <paramref name="listLimit"/> of them. An object in <paramref name="running"/> runs
    /// the version given there (its index entry may lag behind it, or not exist yet); any other runs
    /// the version of its index entry.
    /// </summary>
    [Alias("Changes")]
    Task<IndexChanges> Changes(Deployment proposed, int listLimit, ImmutableArray<RunningObject> running);
}

/// <summary>An object as its index keeps it.</summary>
[GenerateSerializer, Immutable, Alias("dosim.ObjectEntry")]
public sealed record ObjectEntry
{
    [Id(0)] public required string ClassName { get; init; }
    [Id(1)] public required string ObjectId { get; init; }
    [Id(2)] public string? Name { get; init; }
    [Id(3)] public required Guid VersionId { get; init; }
    [Id(4)] public int ResetCount { get; init; }
    [Id(5)] public ImmutableArray<ResetRecord> Resets { get; init; } = [];
}

/// <summary>An object with a live instance, and the version it runs now (which its index entry may not say yet).</summary>
[GenerateSerializer, Immutable, Alias("dosim.RunningObject")]
public sealed record RunningObject([property: Id(0)] string ClassName, [property: Id(1)] string ObjectId, [property: Id(2)] Guid VersionId);

[GenerateSerializer, Immutable, Alias("dosim.IndexChanges")]
public sealed record IndexChanges([property: Id(0)] long Objects, [property: Id(1)] long Changing, [property: Id(2)] ImmutableArray<ObjectEntry> Listed, [property: Id(3)] ImmutableArray<Guid> ListedTo);

/// <summary>Where a Worker's object index partitions are.</summary>
public static class ObjectIndex
{
    /// <summary>Partitions per Worker: each stores its whole part on a write, so parts stay small; few enough to ask them all.</summary>
    public const int Partitions = 256;

    public static string Key(string workerName, int partition) => $"{workerName}/{partition}";

    /// <summary>The partition of an object: the top bits of its point, so partitions are even.</summary>
    public static int PartitionOf(string objectId) => (int)(Core.StableHash.Point(objectId) >> 56) % Partitions;
}
