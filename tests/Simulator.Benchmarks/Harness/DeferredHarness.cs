using System.Diagnostics;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Testing;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// Issue 24's figures (<c>harness --deferred</c>): a deferred B50/A50 over many active objects on
/// one silo with a virtual clock, how long the deploy takes and that it resets nothing; then the
/// clock moved to the deadline, how long until every deferred object has reset, against the churn
/// preview. The delay (5 s) is under the 10 s hibernation grace, so the objects reset at their
/// deadline, not by hibernating.
/// </summary>
public static class DeferredHarness
{
    public static async Task RunAsync(int objects, int concurrency)
    {
        await using var cluster = await DurableObjectsTestCluster.StartAsync(1, options => options.VirtualClockStart = DateTimeOffset.UtcNow);
        var worker = cluster.Worker("deferred");
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        var ids = Enumerable.Range(0, objects).Select(i => DurableObjectId.FromName("Counter", "d" + i)).ToArray();
        var grains = ids.Select(id => cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format("deferred", "Counter", id))).ToArray();
        var request = WorkerRequest.Get("https://deferred.localhost/d");
        await LoadHarness.Drive(objects, concurrency, i => grains[i].Fetch(request));
        var current = (await worker.HistoryAsync()).CurrentDeployment!;

        var clock = Stopwatch.StartNew();
        var deployment = await worker.DeployVersionsAsync(CodeUpdateStrategy.Parse("deferred=5s"), (b.Id, 50), (a.Id, 50));
        clock.Stop();
        var predicted = ChurnPreview.Compute(current, deployment.Deployment).ChangedObjects(ids).Count;
        var deferred = deployment.Propagation.Applied.Sum(s => s.ObjectsDeferred);
        var resetNow = deployment.Propagation.Applied.Sum(s => s.ObjectsReset);
        Console.WriteLine($"Deferred B50/A50 over {objects:N0} active objects: {clock.ElapsedMilliseconds:N0} ms (target 1,000 ms or less); {resetNow:N0} reset at once, {deferred:N0} deferred; the preview predicted {predicted:N0} to change");
        Console.WriteLine($"  resets counted by the objects before the deadline: {await ResetsAsync(grains, concurrency):N0}");

        clock.Restart();
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        var advanced = clock.ElapsedMilliseconds;
        int reset;
        while ((reset = await ResetsAsync(grains, concurrency)) < predicted && clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(50);
        }

        Console.WriteLine($"Clock moved to the deadline: the advance returned in {advanced:N0} ms, every deferred object had reset after {clock.ElapsedMilliseconds:N0} ms (target 2,000 ms or less)");
        Console.WriteLine($"Objects reset: {reset:N0}; preview predicted {predicted:N0}: {(reset == predicted ? "equal" : "DIFFERENT")}");
    }

    private static async Task<int> ResetsAsync(IDurableObjectGrain[] grains, int concurrency)
    {
        var reset = 0;
        await LoadHarness.Drive(grains.Length, concurrency, async i =>
        {
            var status = await grains[i].GetStatus();
            if (status.ResetCount > 0)
            {
                Interlocked.Increment(ref reset);
            }

            return status;
        });
        return reset;
    }
}
