using System.Collections.Concurrent;
using System.Collections.Immutable;
using Simulator.Contracts;

namespace Simulator.Grains;

/// <summary>
/// This silo's path to the object index: objects hand in their entries, and each index partition
/// gets them in batches, one call in flight per partition (what arrives meanwhile goes in the next
/// call). A reset storm of 50,000 objects becomes a few hundred calls. The task an object awaits
/// completes when its entry is stored. A call that fails (the partition's silo died before it
/// stored them) is sent again, a few times, so the partition, activated elsewhere, gets them.
/// </summary>
public sealed class ObjectIndexWriter(IGrainFactory grains, TimeProvider time)
{
    private const int Attempts = 5;
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    // A lock per partition's batch, not one for the silo: a reset storm's objects hand in their
    // entries from every thread at once.
    private readonly ConcurrentDictionary<(string WorkerName, int Partition), Batch> _batches = new();

    public Task RecordAsync(string workerName, ObjectEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var batch = _batches.GetOrAdd((workerName, ObjectIndex.PartitionOf(entry.ObjectId)), static key => new Batch(ObjectIndex.Key(key.WorkerName, key.Partition)));
        bool send;
        Task stored;
        lock (batch)
        {
            batch.Pending.Add(entry);
            stored = batch.Stored.Task;
            send = !batch.Sending;
            batch.Sending = true;
        }

        if (send)
        {
            // Off the caller's scheduler: the loop serves the whole silo, not the object that started it.
            _ = Task.Run(() => SendAsync(batch.Key, batch));
        }

        return stored;
    }

    private async Task SendAsync(string key, Batch batch)
    {
        while (true)
        {
            ImmutableArray<ObjectEntry> entries;
            TaskCompletionSource stored;
            lock (batch)
            {
                if (batch.Pending.Count == 0)
                {
                    batch.Sending = false;
                    return;
                }

                entries = [.. batch.Pending];
                batch.Pending.Clear();
                (stored, batch.Stored) = (batch.Stored, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await StringKeyGrains.Get<IObjectIndexGrain>(grains, key).Record(entries);
                    stored.TrySetResult();
                    break;
                }
                catch (Exception) when (attempt < Attempts)
                {
                    await Task.Delay(RetryAfter, time);
                }
                catch (Exception ex)
                {
                    stored.TrySetException(ex);
                    break;
                }
            }
        }
    }

    private sealed class Batch(string key)
    {
        public string Key { get; } = key;

        public List<ObjectEntry> Pending { get; } = [];
        public bool Sending { get; set; }
        public TaskCompletionSource Stored { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
