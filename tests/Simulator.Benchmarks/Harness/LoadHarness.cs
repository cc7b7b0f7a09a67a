using System.Diagnostics;
using System.Globalization;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Testing;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// Measures the simulator against baselines measured in the same run and prints ratios:
/// Durable Object calls/s against a bare grain doing the same work, propagation of a deploy over
/// many active objects, and memory per active object.
/// </summary>
public static class LoadHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var objects = Option(args, "--objects", 100_000);
        var calls = Option(args, "--calls", 200_000);
        var rounds = Option(args, "--rounds", 6);
        var concurrency = Option(args, "--concurrency", 64);
        Console.WriteLine($"dosim load harness: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {objects:N0} objects, {calls:N0} calls x {rounds} rounds, concurrency {concurrency}");

        if (args.Contains("--replay"))
        {
            await ReplayHarness.RunAsync(Option(args, "--objects", 1_000), Option(args, "--deploys", 10), TimeSpan.FromMinutes(Option(args, "--every-minutes", 6)), TimeSpan.FromSeconds(Option(args, "--request-every-seconds", 5)), args.Contains("--eviction-ab"), Option(args, "--rounds", 4));
            return 0;
        }

        if (args.Contains("--deferred"))
        {
            await DeferredHarness.RunAsync(objects, concurrency);
            return 0;
        }

        if (args.Contains("--websockets"))
        {
            await SocketHarness.RunAsync(Option(args, "--objects", 1_000), Option(args, "--per-object", 10), Option(args, "--echo-sockets", 64), Option(args, "--seconds", 5), Option(args, "--warm-up-seconds", 30), rounds, Option(args, "--broadcast-sockets", 1_000), Option(args, "--broadcasts", 20));
            return 0;
        }

        if (args.Contains("--scale"))
        {
            await ScaleHarness.RunAsync(objects, calls, rounds, concurrency);
            return 0;
        }

        if (args.Contains("--telemetry"))
        {
            await TelemetryHarness.RunAsync(calls / 4, rounds, concurrency);
            return 0;
        }

        if (args.Contains("--preview"))
        {
            await PreviewHarness.RunAsync(Option(args, "--objects", 1_000_000), rounds);
            return 0;
        }

        if (args.Contains("--javascript-engine"))
        {
            if (Array.IndexOf(args, "--variants") is var at and >= 0)
            {
                var directories = at + 1 < args.Length ? args[at + 1].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
                var missing = directories.FirstOrDefault(d => !File.Exists(Path.Combine(d, "index.js")) || !File.Exists(Path.Combine(d, "wrangler.toml")));
                if (directories.Length == 0 || missing is not null)
                {
                    await Console.Error.WriteLineAsync($"--variants takes directories separated by commas, each with an index.js and a wrangler.toml{(missing is null ? "" : $" ('{missing}' has not both)")}: e.g. --variants examples/counter,/tmp/counter-without-log");
                    return 2;
                }

                await EngineHarness.CompareAsync(directories, Option(args, "--calls", 20_000), rounds);
                return 0;
            }

            await EngineHarness.RunAsync(Option(args, "--calls", 20_000), rounds);
            return 0;
        }

        if (args.Contains("--rpc-sqlite"))
        {
            await RpcSqliteHarness.RunAsync(Option(args, "--objects", 10_000), calls, rounds, concurrency, Option(args, "--alarms", 100_000));
            return 0;
        }

        if (args.Contains("--javascript"))
        {
            await JavaScriptHarness.RunAsync(objects, calls, rounds, concurrency);
            await RpcSqliteHarness.RunAsync(Math.Min(objects, 10_000), calls, rounds, concurrency, Option(args, "--alarms", 100_000));
            return 0;
        }

        if (args.Contains("--gateway-only"))
        {
            await GatewayHarness.RunAsync(calls / 4, rounds, concurrency);
            return 0;
        }

        // It measures active objects: none may leave memory for idleness while the others are called.
        await using (var cluster = await DurableObjectsTestCluster.StartAsync(1, o => o.PreventEviction = true))
        {
            var worker = cluster.Worker("bench");
            var a = await worker.DeployAsync("counter", "A");
            var b = await worker.UploadAsync("counter", "B");
            if (!args.Contains("--propagation-only"))
            {
                await ThroughputAsync(cluster, calls, rounds, concurrency);
            }

            await PropagationAsync(cluster, worker, a, b, objects, concurrency);
        }

        if (args.Contains("--propagation-only"))
        {
            return 0;
        }

        await GatewayHarness.RunAsync(calls / 4, rounds, concurrency);

        // The last of issue 11's figures, so that one run gives them all.
        await PreviewHarness.RunAsync(1_000_000, rounds);
        return 0;
    }

    private static async Task ThroughputAsync(DurableObjectsTestCluster cluster, int calls, int rounds, int concurrency)
    {
        const int Keys = 1000;
        var simulated = Enumerable.Range(0, Keys).Select(i => cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format("bench", "Counter", DurableObjectId.FromName("Counter", "t" + i)))).ToArray();
        var bare = Enumerable.Range(0, Keys).Select(i => cluster.Client.GetGrain<IBareCounterGrain>(DurableObjectId.FromName("Counter", "t" + i))).ToArray();
        var direct = Enumerable.Range(0, Keys).Select(i => cluster.Client.GetGrain<IBareStorageCounterGrain>(DurableObjectId.FromName("Counter", "t" + i))).ToArray();
        var request = WorkerRequest.Get("https://bench.localhost/t");
        Task<double> Simulated() => Drive(calls, concurrency, i => simulated[i % Keys].Fetch(request));
        Task<double> Bare() => Drive(calls, concurrency, i => bare[i % Keys].Fetch(request));
        Task<double> Direct() => Drive(calls, concurrency, i => direct[i % Keys].Fetch(request));

        // Warm every path (activations, tiered JIT) with a full unmeasured round each.
        await Simulated();
        await Bare();
        await Direct();

        var ratios = new List<double>();
        var directRatios = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            // Reverse the order every other round, so drift within a round favours none.
            double measured, baseline, strict;
            if (round % 2 == 1)
            {
                baseline = await Bare();
                strict = await Direct();
                measured = await Simulated();
            }
            else
            {
                measured = await Simulated();
                strict = await Direct();
                baseline = await Bare();
            }

            ratios.Add(measured / baseline);
            directRatios.Add(measured / strict);
            Console.WriteLine($"  round {round}: simulator {measured:N0} calls/s, bare grain {baseline:N0} calls/s (ratio {measured / baseline:0.00}), bare grain writing storage directly {strict:N0} calls/s (ratio {measured / strict:0.00})");
        }

        ratios.Sort();
        directRatios.Sort();
        Console.WriteLine($"Durable Object calls/s, simulator / bare grain: median ratio {Median(ratios):0.00} (target 0.9 or better); / bare grain writing storage directly, as the simulator does: {Median(directRatios):0.00}");
        await PrintAllocationsAsync("the simulator's calls", () => Drive(calls, concurrency, i => simulated[i % Keys].Fetch(request)), top: 30);

        Console.WriteLine($"Allocated per call (whole process, client included): simulator {await AllocatedPerCall(calls / 4, concurrency, i => simulated[i % Keys].Fetch(request)):N0} B, bare grain {await AllocatedPerCall(calls / 4, concurrency, i => bare[i % Keys].Fetch(request)):N0} B, writing directly {await AllocatedPerCall(calls / 4, concurrency, i => direct[i % Keys].Fetch(request)):N0} B");
    }

    /// <summary>Activates <paramref name="objects"/> objects on A, deploys B50/A50 and times it; returns the time and whether resets matched the preview.</summary>
    internal static async Task<(long Milliseconds, bool ResetsAsPreviewed)> PropagationAsync(DurableObjectsTestCluster cluster, WorkerHandle worker, WorkerVersion a, WorkerVersion b, int objects, int concurrency)
    {
        var ids = Enumerable.Range(0, objects).Select(i => DurableObjectId.FromName("Counter", "p" + i)).ToArray();
        var grains = ids.Select(id => cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format("bench", "Counter", id))).ToArray();
        var request = WorkerRequest.Get("https://bench.localhost/p");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        await Drive(objects, concurrency, i => grains[i].Fetch(request));
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"Memory per active Durable Object: {(after - before) / (double)objects / 1024:0.0} KiB, {(after - before) / objects:N0} B ({objects:N0} objects, managed heap, storage included)");

        var current = (await worker.HistoryAsync()).CurrentDeployment!;
        var clock = new Stopwatch();
        DeploymentResult? deployment = null;
        using var sampler = Environment.GetCommandLineArgs().Contains("--allocations") ? new AllocationSampler() : null;
        var collections = await CollectionsDuring(async () =>
        {
            sampler?.Start();
            clock.Start();
            deployment = await worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50));
            clock.Stop();
            sampler?.Stop();
        });
        Console.WriteLine($"  garbage collections meanwhile: {collections}");
        foreach (var line in sampler?.Top(25) ?? [])
        {
            Console.WriteLine($"    {line}");
        }

        var predicted = ChurnPreview.Compute(current, deployment!.Deployment).ChangedObjects(ids).Count;
        var reset = 0;
        await Drive(objects, concurrency, async i =>
        {
            var status = await grains[i].GetStatus();
            if (status.ResetCount > 0)
            {
                Interlocked.Increment(ref reset);
            }

            return status;
        });
        Console.WriteLine($"Propagation of B50/A50 to {objects:N0} active objects: {clock.ElapsedMilliseconds:N0} ms until every reassigned object had reset (target 1,000 ms or less)");
        Console.WriteLine($"Objects reset: {reset:N0}; churn preview predicted {predicted:N0}: {(reset == predicted ? "equal" : "DIFFERENT")}");
        return (clock.ElapsedMilliseconds, reset == predicted);
    }

    /// <summary>Runs <paramref name="count"/> calls with at most <paramref name="concurrency"/> in flight; returns calls per second.</summary>
    internal static async Task<double> Drive<T>(int count, int concurrency, Func<int, Task<T>> call)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await call(i);
            }
        }));
        return count / clock.Elapsed.TotalSeconds;
    }

    internal static async Task<long> AllocatedPerCall<T>(int calls, int concurrency, Func<int, Task<T>> call)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await Drive(calls, concurrency, call);
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / calls;
    }

    /// <summary>The garbage collections while <paramref name="work"/> runs, and the share of its time they paused the process.</summary>
    internal static async Task<string> CollectionsDuring(Func<Task> work)
    {
        var (gen0, gen1, gen2, paused, allocated) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(precise: true));
        var clock = Stopwatch.StartNew();
        await work();
        var pausedNow = GC.GetTotalPauseDuration() - paused;
        var megabytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / 1024;
        return $"{megabytes:N0} MiB allocated, {GC.CollectionCount(0) - gen0} gen0, {GC.CollectionCount(1) - gen1} gen1, {GC.CollectionCount(2) - gen2} gen2; paused {pausedNow.TotalMilliseconds:N0} of {clock.ElapsedMilliseconds:N0} ms ({(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC)";
    }

    /// <summary>
    /// Rounds of <paramref name="measured"/> against <paramref name="baseline"/>, alternating which
    /// goes first so drift within a round favours neither; prints each round and returns the median
    /// ratio, measured / baseline. <paramref name="line"/> gets the round, then the measured rate,
    /// then the baseline's (the order of the ratio, not of the arguments).
    /// </summary>
    internal static async Task<double> AlternateAsync(int rounds, Func<Task<double>> baseline, Func<Task<double>> measured, Func<int, double, double, string> line)
    {
        var ratios = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            double b, m;
            if (round % 2 == 1)
            {
                b = await baseline();
                m = await measured();
            }
            else
            {
                m = await measured();
                b = await baseline();
            }

            ratios.Add(m / b);
            Console.WriteLine(line(round, m, b));
        }

        ratios.Sort();
        return Median(ratios);
    }

    /// <summary>With <c>--allocations</c>: what <paramref name="run"/> allocated, by type (sampled), under <paramref name="label"/>.</summary>
    internal static async Task PrintAllocationsAsync(string label, Func<Task> run, int top = 20)
    {
        if (!Environment.GetCommandLineArgs().Contains("--allocations"))
        {
            return;
        }

        using var sampler = new AllocationSampler();
        sampler.Start();
        await run();
        sampler.Stop();
        Console.WriteLine($"  {label} allocated:");
        foreach (var line in sampler.Top(top))
        {
            Console.WriteLine($"    {line}");
        }
    }

    internal static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        if (index < 0)
        {
            return fallback;
        }

        if (index + 1 >= args.Length || !int.TryParse(args[index + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw new ArgumentException($"{name} takes a positive whole number, e.g. {name} {fallback}.");
        }

        return value;
    }
}
