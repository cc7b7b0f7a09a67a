using System.Collections.Immutable;
using Orleans.Concurrency;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Hosting;

namespace Simulator.Grains;

[GenerateSerializer, Alias("dosim.ObjectIndexState")]
public sealed class ObjectIndexState
{
    /// <summary>Entries by class and id (a pair, not a joined string: no key text of its own per object).</summary>
    [Id(1)] public Dictionary<(string ClassName, string ObjectId), ObjectEntry> Entries { get; set; } = [];
}

/// <summary>
/// One partition of a Worker's object index, in grain storage. Reentrant, and it writes a moment
/// after the first change it has not stored, so the records that arrive meanwhile (a reset storm:
/// thousands a second) share one write of the part. Reads answer from memory, so they see every
/// record at once.
/// </summary>
[Reentrant]
public sealed class ObjectIndexGrain(
    [PersistentState("index", DurableObjectsSimulatorOptions.StorageName)] IPersistentState<ObjectIndexState> state,
    TimeProvider time) : Grain, IObjectIndexGrain
{
    // Each write stores the whole part: gathering for a moment turns thousands of writes into a few.
    // Changes stay readable at once; only their storing waits (what a lost silo can lose is healed
    // by the objects themselves, see DurableObjectGrain).
    private static readonly TimeSpan GatherFor = TimeSpan.FromSeconds(1);

    private Task _writing = Task.CompletedTask;

    // A write that has not started yet: what changes now is stored by it.
    private Task? _queued;

    public Task Record(ImmutableArray<ObjectEntry> entries)
    {
        var changed = false;
        foreach (var entry in entries)
        {
            var key = (entry.ClassName, entry.ObjectId);
            if (state.State.Entries.TryGetValue(key, out var held) && (held.ResetCount > entry.ResetCount || Same(held, entry)))
            {
                continue;
            }

            state.State.Entries[key] = entry;
            changed = true;
        }

        // A batch sent again after a failed write changes nothing in memory, but still needs storing.
        return changed || (_writing.IsFaulted && _queued is null) ? _queued ??= WriteNextAsync(_writing) : _queued ?? _writing;
    }

    public Task<ImmutableArray<ObjectEntry>> Entries() => Task.FromResult<ImmutableArray<ObjectEntry>>([.. state.State.Entries.Values]);

    public Task<IndexChanges> Changes(Deployment proposed, int listLimit, ImmutableArray<RunningObject> running)
    {
        var ranges = VersionRanges.From(proposed);
        var runs = running.IsDefault ? [] : running.ToDictionary(r => (r.ClassName, r.ObjectId), r => r.VersionId);
        long changing = 0;
        var listed = ImmutableArray.CreateBuilder<ObjectEntry>();
        var listedTo = ImmutableArray.CreateBuilder<Guid>();
        void Count(ObjectEntry entry)
        {
            var to = ranges.VersionFor(entry.ObjectId);
            if (to != entry.VersionId)
            {
                changing++;
                if (listed.Count < listLimit)
                {
                    listed.Add(entry);
                    listedTo.Add(to);
                }
            }
        }

        // An active object's "from" is what it runs now; a sleeping one's is its last entry.
        foreach (var (key, entry) in state.State.Entries)
        {
            Count(runs.Remove(key, out var now) && now != entry.VersionId ? entry with { VersionId = now } : entry);
        }

        // Objects that run and are not in the index yet (created since its last write).
        foreach (var ((className, objectId), now) in runs)
        {
            Count(new ObjectEntry { ClassName = className, ObjectId = objectId, VersionId = now, ResetCount = 0, Resets = [] });
        }

        return Task.FromResult(new IndexChanges(state.State.Entries.Count + runs.Count, changing, listed.ToImmutable(), listedTo.ToImmutable()));
    }

    private async Task WriteNextAsync(Task previous)
    {
        // Until this write starts, more records join it.
        await Task.Delay(GatherFor, time);
        try
        {
            await previous;
        }
        catch (Exception) when (!previous.IsCompletedSuccessfully)
        {
            // Its callers got the error; this write stores the current state anyway.
        }

        _queued = null;
        var write = state.WriteStateAsync();
        _writing = write;
        try
        {
            await write;
        }
        catch (Orleans.Storage.InconsistentStateException)
        {
            // Another activation wrote: re-read on the next activation, and let the callers retry.
            DeactivateOnIdle();
            throw;
        }
    }

    private static bool Same(ObjectEntry a, ObjectEntry b) =>
        a.VersionId == b.VersionId && a.ResetCount == b.ResetCount && a.Name == b.Name && a.Resets.Length == b.Resets.Length;
}
