using System.Collections.Immutable;
using System.Collections.Concurrent;
using Simulator.Contracts;

namespace Simulator.Grains;

/// <summary>
/// This silo's copy of each Worker's current deployment. The deployment grain pushes every change
/// (through this silo's agent); a Worker not yet seen here is read once from its deployment grain.
/// A copy never goes back to an older deployment.
/// </summary>
public sealed class DeploymentCache(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<string, DeploymentSnapshot> _snapshots = new(StringComparer.Ordinal);

    public bool TryGet(string workerName, out DeploymentSnapshot snapshot) => _snapshots.TryGetValue(workerName, out snapshot!);

    /// <summary>Every version a held deployment names: the versions this silo may run.</summary>
    public HashSet<Guid> DeployedVersions() => [.. _snapshots.Values.SelectMany(s => s.Versions).Select(v => v.Id)];

    /// <summary>The Workers this silo holds a copy of, with the sequence of the copy.</summary>
    public IReadOnlyList<(string WorkerName, int Sequence)> Held() => [.. _snapshots.Select(s => (s.Key, s.Value.Sequence))];

    public ValueTask<DeploymentSnapshot> GetAsync(string workerName) =>
        _snapshots.TryGetValue(workerName, out var snapshot) ? ValueTask.FromResult(snapshot) : ReadAsync(workerName);

    // A Worker that does not exist yet is not kept: each request asks again, and the re-sync
    // does not watch every name someone mistyped.
    private async ValueTask<DeploymentSnapshot> ReadAsync(string workerName)
    {
        var snapshot = await grains.GetGrain<IDeploymentGrain>(workerName).GetSnapshot();
        if (snapshot.Sequence == 0)
        {
            return snapshot;
        }

        Update(snapshot);
        return _snapshots[workerName];
    }

    /// <summary>Keeps the snapshot if it is newer than the one held; returns whether it did.</summary>
    public bool Update(DeploymentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        while (true)
        {
            if (!_snapshots.TryGetValue(snapshot.WorkerName, out var held))
            {
                if (_snapshots.TryAdd(snapshot.WorkerName, snapshot))
                {
                    return true;
                }
            }
            else if (held.Sequence >= snapshot.Sequence)
            {
                return false;
            }
            else if (_snapshots.TryUpdate(snapshot.WorkerName, snapshot, held))
            {
                return true;
            }
        }
    }
}

/// <summary>This silo's Durable Objects that have a live instance, with the version each runs.</summary>
public sealed class ActiveObjects
{
    // By class and id, not by grain key: the key would be a string per object held only here.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<(string ClassName, string ObjectId), ActiveObject>> _byWorker = new(StringComparer.Ordinal);

    internal void Set(string workerName, string className, string objectId, ActiveObject entry) =>
        _byWorker.GetOrAdd(workerName, _ => new())[(className, objectId)] = entry;

    internal void Remove(string workerName, string className, string objectId)
    {
        if (_byWorker.TryGetValue(workerName, out var objects))
        {
            objects.TryRemove((className, objectId), out _);
        }
    }

    /// <summary>Class, id, version and activation of this worker's active objects here.</summary>
    internal IReadOnlyCollection<KeyValuePair<(string ClassName, string ObjectId), ActiveObject>> Of(string workerName) =>
        _byWorker.TryGetValue(workerName, out var objects) ? objects.ToArray() : [];

    /// <summary>This worker's objects here with sockets open: the active ones' counts (read as they are now) and the hibernated ones'.</summary>
    internal ImmutableArray<ObjectSocketCount> SocketCountsOf(string workerName) =>
    [
        .. Of(workerName).Where(o => o.Value.Grain.SocketCount > 0)
            .Select(o => new ObjectSocketCount(DurableObjectKey.Format(workerName, o.Key.ClassName, o.Key.ObjectId), o.Value.Grain.SocketCount, Hibernated: false)),
        .. (_hibernated.TryGetValue(workerName, out var hibernated) ? hibernated.ToArray() : [])
            .Select(o => new ObjectSocketCount(DurableObjectKey.Format(workerName, o.Key.ClassName, o.Key.ObjectId), o.Value.Sockets, Hibernated: true)),
    ];

    /// <summary>Grain keys of this worker's objects here that are running a call or an event now.</summary>
    internal ImmutableArray<string> BusyOf(string workerName) =>
        [.. Of(workerName).Where(o => o.Value.Grain.Busy).Select(o => DurableObjectKey.Format(workerName, o.Key.ClassName, o.Key.ObjectId))];

    /// <summary>This worker's active objects here whose code update is deferred, with each deadline (read as they are now).</summary>
    internal ImmutableArray<KeyValuePair<string, DateTimeOffset>> PendingUpdatesOf(string workerName) =>
    [
        .. Of(workerName).Where(o => o.Value.Grain.PendingSwitchBy is not null)
            .Select(o => KeyValuePair.Create(DurableObjectKey.Format(workerName, o.Key.ClassName, o.Key.ObjectId), o.Value.Grain.PendingSwitchBy!.Value)),
    ];

    // Objects that hibernated here with WebSockets open: a deploy that changes their version wakes
    // them, so their sockets close as the platform closes them, hibernated or not. One entry each,
    // version and socket count together: this is most of what a hibernated object holds here.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<(string ClassName, string ObjectId), (Guid Version, int Sockets)>> _hibernated = new(StringComparer.Ordinal);

    internal void Hibernated(string workerName, string className, string objectId, Guid version, int sockets) =>
        _hibernated.GetOrAdd(workerName, _ => new())[(className, objectId)] = (version, sockets);

    internal void Woke(string workerName, string className, string objectId)
    {
        if (_hibernated.TryGetValue(workerName, out var objects))
        {
            objects.TryRemove((className, objectId), out _);
        }
    }

    /// <summary>Class, id and version of this worker's objects hibernated here with sockets open.</summary>
    internal IReadOnlyCollection<KeyValuePair<(string ClassName, string ObjectId), Guid>> HibernatedOf(string workerName) =>
        _hibernated.TryGetValue(workerName, out var objects) ? [.. objects.Select(o => KeyValuePair.Create(o.Key, o.Value.Version))] : [];

    /// <summary>Worker, class and id of every object hibernated here with sockets open.</summary>
    internal IEnumerable<(string Worker, string ClassName, string ObjectId)> AllHibernated() =>
        _hibernated.SelectMany(w => w.Value.Keys.Select(k => (w.Key, k.ClassName, k.ObjectId))).ToArray();

    /// <summary>Grain keys and versions of this worker's active objects here.</summary>
    public IEnumerable<KeyValuePair<string, Guid>> KeysOf(string workerName) =>
        Of(workerName).Select(o => KeyValuePair.Create(DurableObjectKey.Format(workerName, o.Key.ClassName, o.Key.ObjectId), o.Value.Version));
}

/// <summary>An active object as the silo's registry holds it: its version and its activation, which this silo's agent refreshes without a grain call.</summary>
internal readonly record struct ActiveObject(Guid Version, DurableObjectGrain Grain);

/// <summary>The random source of version selection: seeded for replay, or shared.</summary>
public sealed class VersionRandom(int? seed)
{
    private readonly Random _random = seed is { } s ? new Random(s) : Random.Shared;

    /// <summary>Runs a draw under a lock when seeded (a seeded Random is not thread-safe).</summary>
    public T Draw<T>(Func<Random, T> draw)
    {
        ArgumentNullException.ThrowIfNull(draw);
        if (ReferenceEquals(_random, Random.Shared))
        {
            return draw(_random);
        }

        lock (_random)
        {
            return draw(_random);
        }
    }
}
