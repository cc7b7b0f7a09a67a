using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Serialization;
using Orleans.Storage;

namespace Simulator.Grains.Storage;

/// <summary>One stored grain state: its ETag and its bytes (Orleans serializer).</summary>
public sealed record StoredState(string ETag, byte[] Data);

/// <summary>
/// Names a stored state: the state's name and the grain's id. The id's bytes are the activation's
/// own, so a key costs no string per object (a "name/id" string was about 240 bytes of each
/// active Durable Object).
/// </summary>
public readonly record struct StateKey(string StateName, GrainId GrainId)
{
    public override string ToString() => $"{StateName}/{GrainId}";
}

/// <summary>
/// Grain storage over a store that can read an entry and replace it atomically when its ETag is the
/// expected one. A write whose ETag is stale (another activation wrote first) throws
/// <see cref="InconsistentStateException"/>, so the grain re-reads and decides again.
/// </summary>
public abstract class ETagGrainStorage(Serializer serializer) : IGrainStorage
{
    // Unique across instances and processes sharing a store (48 random bits); a counter within one.
    // Short, because every stored state and its grain hold one.
    private readonly string _etagPrefix = Guid.NewGuid().ToString("N")[..12] + "-";
    private long _etags;

    /// <summary>The entry, or null when there is none.</summary>
    protected abstract Task<StoredState?> ReadAsync(StateKey key);

    /// <summary>Replaces the entry if its ETag is <paramref name="expectedETag"/> (null: no entry yet); false otherwise.</summary>
    protected abstract Task<bool> TryReplaceAsync(StateKey key, string? expectedETag, StoredState? replacement);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var stored = await ReadAsync(Key(stateName, grainId));
        grainState.RecordExists = stored is not null;
        grainState.ETag = stored?.ETag;
        grainState.State = stored is null ? Activator.CreateInstance<T>() : serializer.Deserialize<T>(stored.Data);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var next = new StoredState(NewETag(), serializer.SerializeToArray(grainState.State));
        if (!await TryReplaceAsync(Key(stateName, grainId), grainState.ETag, next))
        {
            throw new InconsistentStateException($"The state {stateName} of {grainId} changed since it was read (ETag {grainState.ETag ?? "none"}).");
        }

        grainState.ETag = next.ETag;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (!await TryReplaceAsync(Key(stateName, grainId), grainState.ETag, null))
        {
            throw new InconsistentStateException($"The state {stateName} of {grainId} changed since it was read (ETag {grainState.ETag ?? "none"}).");
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    private static StateKey Key(string stateName, GrainId grainId) => new(stateName, grainId);

    private string NewETag() => _etagPrefix + Interlocked.Increment(ref _etags).ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A store in this process's memory that every silo of the process shares (as the test cluster's
/// silos do): state outlives a stopped silo, as long as the process lives.
/// </summary>
public sealed class SharedMemoryStore
{
    // Lock-free once a key has its slot: a reset storm's writers each compare-and-swap their own
    // slot (one lock over every entry, then the dictionary's own striped locks, were the most
    // contended locks of the profile).
    private readonly ConcurrentDictionary<StateKey, Slot> _slots = new();

    internal StoredState? Read(StateKey key) => _slots.TryGetValue(key, out var slot) ? Volatile.Read(ref slot.Current) : null;

    internal bool TryReplace(StateKey key, string? expectedETag, StoredState? replacement)
    {
        if (!_slots.TryGetValue(key, out var slot))
        {
            if (expectedETag is not null)
            {
                return false;
            }

            slot = _slots.GetOrAdd(key, static _ => new Slot());
        }

        var current = Volatile.Read(ref slot.Current);
        return current?.ETag == expectedETag && Interlocked.CompareExchange(ref slot.Current, replacement, current) == current;
    }

    private sealed class Slot
    {
        public StoredState? Current;
    }
}

public sealed class SharedMemoryGrainStorage(SharedMemoryStore store, Serializer serializer) : ETagGrainStorage(serializer)
{
    protected override Task<StoredState?> ReadAsync(StateKey key) => Task.FromResult(store.Read(key));

    protected override Task<bool> TryReplaceAsync(StateKey key, string? expectedETag, StoredState? replacement) =>
        Task.FromResult(store.TryReplace(key, expectedETag, replacement));
}
