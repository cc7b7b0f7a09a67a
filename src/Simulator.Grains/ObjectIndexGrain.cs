using System.Collections.Immutable;
using Orleans.Concurrency;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Hosting;

namespace Simulator.Grains;

[GenerateSerializer, Alias("dosim.ObjectIndexState")]
public sealed class ObjectIndexState
{
    /// <summary>Entries by "Class/id".</summary>
    [Id(0)] public Dictionary<string, ObjectEntry> Entries { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One partition of a Worker's object index, in grain storage. Reentrant, so records that arrive
/// while a write is under way share the next write (one write per batch, not per object).
/// </summary>
[Reentrant]
public sealed class ObjectIndexGrain(
    [PersistentState("index", DurableObjectsSimulatorOptions.StorageName)] IPersistentState<ObjectIndexState> state) : Grain, IObjectIndexGrain
{
    private Task _writing = Task.CompletedTask;

    // A write that has not started yet: what changes now is stored by it.
    private Task? _queued;

    public Task Record(ImmutableArray<ObjectEntry> entries)
    {
        var changed = false;
        foreach (var entry in entries)
        {
            var key = entry.ClassName + "/" + entry.ObjectId;
            if (state.State.Entries.TryGetValue(key, out var held) && (held.ResetCount > entry.ResetCount || Same(held, entry)))
            {
                continue;
            }

            state.State.Entries[key] = entry;
            changed = true;
        }

        return changed ? _queued ??= WriteNextAsync(_writing) : _queued ?? _writing;
    }

    public Task<ImmutableArray<ObjectEntry>> Entries() => Task.FromResult<ImmutableArray<ObjectEntry>>([.. state.State.Entries.Values]);

    public Task<IndexChanges> Changes(Deployment proposed, int listLimit)
    {
        var ranges = VersionRanges.From(proposed);
        long changing = 0;
        var listed = ImmutableArray.CreateBuilder<ObjectEntry>();
        var listedTo = ImmutableArray.CreateBuilder<Guid>();
        foreach (var entry in state.State.Entries.Values)
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

        return Task.FromResult(new IndexChanges(state.State.Entries.Count, changing, listed.ToImmutable(), listedTo.ToImmutable()));
    }

    private async Task WriteNextAsync(Task previous)
    {
        // Let the caller that queued this write return first: until it starts, more records join it.
        await Task.Yield();
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
