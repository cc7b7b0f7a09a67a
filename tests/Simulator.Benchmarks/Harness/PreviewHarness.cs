using System.Collections.Immutable;
using System.Diagnostics;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Testing;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// The churn preview through the query API over a Worker whose objects are all asleep: the index
/// is filled with <c>objects</c> entries (as their first runs would leave it), then
/// `versions deploy B@50% A@50% --dry-run` is asked for, as the CLI asks (the first 1,000 changes listed).
/// The baseline is Core's preview over the same ids in this process: what the cluster adds is the
/// fan-out to the index partitions.
/// </summary>
internal static class PreviewHarness
{
    public static async Task RunAsync(int objects, int rounds)
    {
        await using var cluster = await DurableObjectsTestCluster.StartAsync(1);
        var worker = cluster.Worker("preview");
        var a = await worker.DeployAsync("counter", "A");
        await worker.UploadAsync("counter", "B");

        var ids = Enumerable.Range(0, objects).Select(i => DurableObjectId.FromName("Counter", "sleeper-" + i)).ToArray();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(ids.GroupBy(ObjectIndex.PartitionOf).Select(part =>
            cluster.Client.GetGrain<IObjectIndexGrain>(ObjectIndex.Key(worker.Name, part.Key))
                .Record([.. part.Select(id => new ObjectEntry { ClassName = "Counter", ObjectId = id, VersionId = a.Id })])));
        Console.WriteLine($"Index filled with {objects:N0} sleeping objects in {clock.ElapsedMilliseconds:N0} ms");

        var query = cluster.Client.GetGrain<IWorkerQueryGrain>(worker.Name);
        var specs = ImmutableArray.Create("B@50%", "A@50%");
        var first = await query.Preview(specs, 1000);
        var times = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            clock.Restart();
            var preview = await query.Preview(specs, 1000);
            times.Add(clock.Elapsed.TotalMilliseconds);
            Console.WriteLine($"  round {round}: {times[^1]:N0} ms, {preview.Changing:N0} of {preview.Objects:N0} objects would reset");
        }

        var history = await worker.HistoryAsync();
        var proposed = new Deployment { Id = Guid.Empty, CreatedOn = DateTimeOffset.UnixEpoch, Source = DeploymentSource.VersionsDeploy, Versions = [.. await query.Resolve(specs)] };
        clock.Restart();
        var core = ChurnPreview.Compute(history.CurrentDeployment, proposed).ChangedObjects(ids).Count;
        var coreMs = clock.Elapsed.TotalMilliseconds;
        times.Sort();
        Console.WriteLine($"Preview over {objects:N0} objects through the query API: median {LoadHarness.Median(times):N0} ms (target 500 ms or less); Core alone over the same ids: {coreMs:N0} ms");
        Console.WriteLine($"Objects that would reset: {first.Changing:N0}; Core counts {core:N0}: {(first.Changing == core ? "equal" : "DIFFERENT")}");
    }
}
