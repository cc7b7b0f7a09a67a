using System.Diagnostics;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Testing;
using Simulator.Workers;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// The user's own JavaScript against the built-in C# code doing the same work, in one run:
/// Durable Object fetches of the JS counter (examples/counter) against the C# Counter, memory per
/// active JS object, building an instance at a reset, propagation to 100,000 active JS objects,
/// and the gateway path of each.
/// </summary>
public static class JavaScriptHarness
{
    public static async Task RunAsync(int objects, int calls, int rounds, int concurrency)
    {
        var counter = ExampleCounter();
        await using (var cluster = await DurableObjectsTestCluster.StartAsync(1))
        {
            var cs = cluster.Worker("csbench");
            await cs.DeployAsync("counter", "A", migrationTag: "v1");
            var js = cluster.Worker("jsbench");
            var a = await js.DeployAsync(counter.Draft("A"));
            var b = await js.UploadAsync(counter.Draft("B"));
            await ThroughputAsync(cluster, calls, rounds, concurrency);
            await PropagationAsync(cluster, js, a, b, objects, concurrency);
        }

        await GatewayAsync(calls / 4, rounds, concurrency);
    }

    /// <summary>
    /// examples/counter as it is, found from the build output up to the repository: SQLite-backed
    /// (new_sqlite_classes, as the platform's templates make classes), using only the key-value
    /// API, so it has no database and stores its entries as a key-value object does.
    /// harness --rpc-sqlite measures objects that use SQL.
    /// </summary>
    internal static WorkerProject ExampleCounter()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Simulator.sln")))
        {
            dir = dir.Parent;
        }

        var example = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Run the harness from the repository: examples/counter is read from it."), "examples", "counter");
        return WorkerProject.From([new WorkerModule("index.js", File.ReadAllText(Path.Combine(example, "index.js")))], WranglerConfig.Parse(File.ReadAllText(Path.Combine(example, "wrangler.toml")), "toml"));
    }

    private static async Task ThroughputAsync(DurableObjectsTestCluster cluster, int calls, int rounds, int concurrency)
    {
        const int Keys = 1000;
        IDurableObjectGrain Grain(string worker, int i) => cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format(worker, "Counter", DurableObjectId.FromName("Counter", "t" + i)));
        var csharp = Enumerable.Range(0, Keys).Select(i => Grain("csbench", i)).ToArray();
        var javaScript = Enumerable.Range(0, Keys).Select(i => Grain("jsbench", i)).ToArray();
        var request = WorkerRequest.Get("https://bench.localhost/t");
        Task<double> Cs(int n) => LoadHarness.Drive(n, concurrency, i => csharp[i % Keys].Fetch(request));
        Task<double> Js(int n) => LoadHarness.Drive(n, concurrency, i => javaScript[i % Keys].Fetch(request));
        await Cs(calls);
        await Js(calls);

        var median = await LoadHarness.AlternateAsync(rounds, () => Cs(calls), () => Js(calls), (round, j, c) => $"  round {round}: JavaScript counter {j:N0} calls/s, C# Counter {c:N0} calls/s, ratio {j / c:0.00}");
        Console.WriteLine($"Durable Object fetches/s, JavaScript / C#: median ratio {median:0.00} (target 0.5 or better)");
        var jsBytes = await LoadHarness.AllocatedPerCall(calls / 4, concurrency, i => javaScript[i % Keys].Fetch(request));
        var csBytes = await LoadHarness.AllocatedPerCall(calls / 4, concurrency, i => csharp[i % Keys].Fetch(request));
        Console.WriteLine($"Allocated per call (whole process): JavaScript {jsBytes:N0} B, C# {csBytes:N0} B");
        await LoadHarness.PrintAllocationsAsync("the JavaScript object's calls", () => Js(calls), top: 25);
        Console.WriteLine($"Garbage collections over {calls:N0} calls: JavaScript {await LoadHarness.CollectionsDuring(() => Js(calls))}; C# {await LoadHarness.CollectionsDuring(() => Cs(calls))}");
    }

    private static async Task PropagationAsync(DurableObjectsTestCluster cluster, WorkerHandle worker, WorkerVersion a, WorkerVersion b, int objects, int concurrency)
    {
        var ids = Enumerable.Range(0, objects).Select(i => DurableObjectId.FromName("Counter", "p" + i)).ToArray();
        var grains = ids.Select(id => cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format(worker.Name, "Counter", id))).ToArray();
        var request = WorkerRequest.Get("https://jsbench.localhost/p");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        await LoadHarness.Drive(objects, concurrency, i => grains[i].Fetch(request));
        clock.Stop();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"Memory per active JavaScript Durable Object: {(after - before) / (double)objects / 1024:0.0} KiB ({objects:N0} objects, managed heap, storage and index included; target 12 KiB or less)");
        Console.WriteLine($"First requests (activation, instance, first write): {clock.Elapsed.TotalMicroseconds / objects:0.0} µs each at concurrency {concurrency}");

        var current = (await worker.HistoryAsync()).CurrentDeployment!;
        clock.Restart();
        var deployment = await worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50));
        clock.Stop();
        var predicted = ChurnPreview.Compute(current, deployment.Deployment).ChangedObjects(ids).Count;
        var reset = 0;
        await LoadHarness.Drive(objects, concurrency, async i =>
        {
            var status = await grains[i].GetStatus();
            if (status.ResetCount > 0)
            {
                Interlocked.Increment(ref reset);
            }

            return status;
        });
        Console.WriteLine($"Propagation of B50/A50 to {objects:N0} active JavaScript objects: {clock.ElapsedMilliseconds:N0} ms (target 2,000 ms or less); {reset:N0} reset, preview {predicted:N0}: {(reset == predicted ? "equal" : "DIFFERENT")}");
        Console.WriteLine($"Each reset (instance dropped, reset written durably, index entry; the new instance is built at the next call): {clock.Elapsed.TotalMicroseconds / Math.Max(1, reset):0.0} µs of propagation per reset object");
    }

    private static async Task GatewayAsync(int requests, int rounds, int concurrency)
    {
        await using var rig = await GatewayRig.StartAsync(concurrency, ExampleCounter());
        Task<double> Cs(int n) => rig.DriveAsync("gw.localhost", n);
        Task<double> Js(int n) => rig.DriveAsync("gwjs.localhost", n);
        await Cs(requests);
        await Js(requests);
        var median = await LoadHarness.AlternateAsync(rounds, () => Cs(requests), () => Js(requests), (round, j, c) => $"  round {round}: gateway → JS Worker → JS object {j:N0} requests/s, C# path {c:N0} requests/s, ratio {j / c:0.00}");
        Console.WriteLine($"Gateway requests/s, JavaScript / C#: median ratio {median:0.00} (target 0.6 or better)");
    }
}
