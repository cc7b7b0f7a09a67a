using System.Diagnostics;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Scenarios;
using Simulator.Testing;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// Issue 24's replay figure (<c>harness --replay</c>): ten deploys over an hour of virtual time on
/// 1,000 objects with steady traffic, on one silo with a virtual clock, in wall time; beside it the
/// same requests with no deploy and no clock (the baseline: what the traffic alone costs here).
/// </summary>
public static class ReplayHarness
{
    // evictionAb (--eviction-ab): instead of the two strategies, the default one with the idle
    // lifecycle on and off (PreventEviction), alternating: what the idle sweep costs the replay.
    public static async Task RunAsync(int objects, int deploys, TimeSpan every, TimeSpan requestEvery, bool evictionAb, int rounds)
    {
        var plan = new ReplayPlan(objects, deploys, every, requestEvery);
        // The strategies (or eviction on and off) alternating, --rounds in all: the first run of the process pays for its JIT.
        (CodeUpdateStrategy? Strategy, bool PreventEviction)[] pair = evictionAb ? [(null, false), (null, true)] : [(null, false), (CodeUpdateStrategy.ImmediateUpdate, false)];
        foreach (var (strategy, preventEviction) in Enumerable.Range(0, rounds).Select(round => pair[round % 2]))
        {
            await using var cluster = await DurableObjectsTestCluster.StartAsync(1, options => (options.VirtualClockStart, options.PreventEviction) = (DateTimeOffset.UtcNow, preventEviction));
            // When each deploy began, in wall time: where in the replay the time goes.
            var segments = new List<TimeSpan>();
            var wall = Stopwatch.StartNew();
            var report = await new RolloutReplay(cluster.Client, "replay", plan, strategy).RunAsync(_ => segments.Add(wall.Elapsed));
            var baseline = await BaselineAsync(cluster, objects, report.Requests);
            Console.WriteLine($"Replay, code update {(strategy ?? CodeUpdateStrategy.PlatformDefault).Describe()}{(preventEviction ? ", eviction off" : string.Empty)}: {objects:N0} objects, a request each every {requestEvery.TotalSeconds:0} s, {deploys} deploys {every.TotalMinutes:0.#} min apart ({plan.Length.TotalMinutes:0} min of virtual time): "
                + $"{report.Wall.TotalSeconds:0.0} s of wall time (target 30 s or less); {report.Requests:N0} requests, {report.ResetsPerObject.Sum():N0} resets, {report.Errors:N0} errors");
            Console.WriteLine($"  wall time between deploys: {string.Join(", ", segments.Zip(segments.Skip(1).Append(report.Wall), (a, b) => $"{(b - a).TotalSeconds:0.0}"))} s");
            Console.WriteLine($"  the same {report.Requests:N0} requests alone, {objects:N0} at a time, no deploy, no clock: {baseline.TotalSeconds:0.0} s; replay / baseline: {report.Wall / baseline:0.00}");
            var steps = (int)(plan.Length / requestEvery);
            var clockAlone = await ClockAloneAsync(cluster, steps, requestEvery);
            Console.WriteLine($"  the clock alone, {steps:N0} advances of {requestEvery.TotalSeconds:0} s with no request: {clockAlone.TotalSeconds:0.0} s ({clockAlone.TotalMilliseconds / steps:0.00} ms each)");
        }
    }

    // The replay's advances without its requests: what the clock's steps cost (objects left from
    // the replay idle out meanwhile, as they would between requests).
    private static async Task<TimeSpan> ClockAloneAsync(DurableObjectsTestCluster cluster, int steps, TimeSpan every)
    {
        var clock = Stopwatch.StartNew();
        for (var step = 0; step < steps; step++)
        {
            await cluster.AdvanceAsync(every);
        }

        return clock.Elapsed;
    }

    private static async Task<TimeSpan> BaselineAsync(DurableObjectsTestCluster cluster, int objects, long requests)
    {
        var router = cluster.Client.GetGrain<IWorkerGrain>("baseline");
        await cluster.Worker("baseline").DeployAsync("counter", "A");
        var urls = Enumerable.Range(0, objects).Select(i => $"https://baseline.localhost/o{i}").ToArray();
        var clock = Stopwatch.StartNew();
        for (var sent = 0L; sent < requests; sent += objects)
        {
            await Task.WhenAll(urls.Select(url => router.Invoke(WorkerRequest.Get(url))));
        }

        return clock.Elapsed;
    }
}
