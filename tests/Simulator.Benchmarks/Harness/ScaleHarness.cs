using Simulator.Contracts;
using Simulator.Core;
using Simulator.Testing;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// Durable Object throughput and deploy propagation on a 3-silo cluster against a 1-silo cluster,
/// measured one after the other in the same process, with the same work.
/// </summary>
public static class ScaleHarness
{
    public static async Task RunAsync(int objects, int calls, int rounds, int concurrency)
    {
        var one = await MeasureAsync(1, objects, calls, rounds, concurrency);
        var three = await MeasureAsync(3, objects, calls, rounds, concurrency);
        Console.WriteLine($"Durable Object calls/s: 3 silos {three.CallsPerSecond:N0}, 1 silo {one.CallsPerSecond:N0}, ratio {three.CallsPerSecond / one.CallsPerSecond:0.00}");
        Console.WriteLine($"Propagation of B50/A50 to {objects:N0} objects: 3 silos {three.PropagationMs:N0} ms, 1 silo {one.PropagationMs:N0} ms, ratio {three.PropagationMs / (double)one.PropagationMs:0.00}");
        Console.WriteLine($"Resets equal to the churn preview: 1 silo {(one.ResetsAsPreviewed ? "yes" : "NO")}, 3 silos {(three.ResetsAsPreviewed ? "yes" : "NO")}");
    }

    private static async Task<(double CallsPerSecond, long PropagationMs, bool ResetsAsPreviewed)> MeasureAsync(int silos, int objects, int calls, int rounds, int concurrency)
    {
        Console.WriteLine($"{silos} silo(s), in process:");
        await using var cluster = await DurableObjectsTestCluster.StartAsync(silos);
        var worker = cluster.Worker("bench");
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");

        const int Keys = 1000;
        var grains = Enumerable.Range(0, Keys).Select(i => cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format("bench", "Counter", DurableObjectId.FromName("Counter", "t" + i)))).ToArray();
        var request = WorkerRequest.Get("https://bench.localhost/t");
        await LoadHarness.Drive(calls, concurrency, i => grains[i % Keys].Fetch(request));
        var rates = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            rates.Add(await LoadHarness.Drive(calls, concurrency, i => grains[i % Keys].Fetch(request)));
            Console.WriteLine($"  round {round}: {rates[^1]:N0} calls/s");
        }

        rates.Sort();
        var (milliseconds, asPreviewed) = await LoadHarness.PropagationAsync(cluster, worker, a, b, objects, concurrency);
        return (LoadHarness.Median(rates), milliseconds, asPreviewed);
    }
}
