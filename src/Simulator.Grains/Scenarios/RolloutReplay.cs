using System.Diagnostics;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Core.Analytics;

namespace Simulator.Grains.Scenarios;

/// <summary>
/// Replays a rollout on the cluster's virtual clock: deploys the built-in counter as v1, then a new
/// version every <see cref="ReplayPlan.Every"/>, each with the given code update strategy, while
/// each object (o0, o1, …) gets a request every <see cref="ReplayPlan.RequestEvery"/>; the clock
/// moves from one of those instants to the next as fast as the cluster answers.
/// </summary>
public sealed class RolloutReplay(IGrainFactory grains, string worker, ReplayPlan plan, CodeUpdateStrategy? codeUpdate)
{
    private const string ClassName = "Counter";

    /// <summary>The plan as it runs: long enough for the strategy's <c>max_delay</c> to pass after the last deploy.</summary>
    public ReplayPlan Plan { get; } = plan with { UpdateDelay = (codeUpdate ?? CodeUpdateStrategy.PlatformDefault).Delay };

    /// <summary>Runs the replay; <paramref name="onStep"/> hears of each deploy as it is made.</summary>
    public async Task<ReplayReport> RunAsync(Action<ReplayStep>? onStep = null, CancellationToken cancellation = default)
    {
        if (Plan.Validate() is { } invalid)
        {
            throw new RuleRefusedException(invalid);
        }

        var clock = grains.GetGrain<IClockGrain>(0);
        var start = await clock.Read();
        if (!start.IsVirtual)
        {
            throw new RuleRefusedException(new RuleError(RuleError.InvalidInput, "A replay moves simulated time, and this cluster runs on real time: start the silos with --clock virtual (or run the replay without --cluster, on an embedded silo that has one)."));
        }

        var wall = Stopwatch.StartNew();
        var deployments = grains.GetGrain<IDeploymentGrain>(worker);
        var router = grains.GetGrain<IWorkerGrain>(worker);
        var steps = new List<ReplayStep>();
        var urls = Enumerable.Range(0, Plan.Objects).Select(i => $"https://{worker}.localhost/o{i}").ToArray();
        long requests = 0, errors = 0;
        var seconds = (long)Plan.Length.TotalSeconds;
        var at = 0L;
        for (var second = 0L; second < seconds; second++)
        {
            cancellation.ThrowIfCancellationRequested();
            var deploy = second == 0 ? 0 : Plan.DeployAt(second);
            var requested = Plan.RequestsAt(second);
            if (second > 0 && deploy == 0 && !requested)
            {
                continue;
            }

            if (second > at)
            {
                await clock.Advance(TimeSpan.FromSeconds(second - at));
                at = second;
            }

            if (second == 0 || deploy != 0)
            {
                var result = await deployments.Deploy(new VersionDraft { Script = "counter", Tag = $"v{deploy + 1}" }, $"replay: deploy {deploy} at {TimeSpan.FromSeconds(second)}", codeUpdate);
                var step = new ReplayStep(
                    TimeSpan.FromSeconds(second), result.Version, result.Deployment.Id,
                    result.Propagation.Applied.Sum(a => a.ObjectsReset), result.Propagation.Applied.Sum(a => a.ObjectsDeferred), result.Propagation.Applied.Max(a => a.DeferredUntil) - start.Now);
                steps.Add(step);
                onStep?.Invoke(step);
            }

            if (requested)
            {
                var answers = await Task.WhenAll(urls.Select(url => router.Invoke(WorkerRequest.Get(url))));
                requests += answers.Length;
                errors += answers.Count(a => a.Error is not null || a.Response.Status >= 500);
            }
        }

        // To the replay's end, then read what happened once it has settled: the resets the clock's
        // last deadlines started have finished (the silos' count stops moving) and the object
        // index holds each of them.
        await clock.Advance(TimeSpan.FromSeconds(seconds - at));
        var query = grains.GetGrain<IWorkerQueryGrain>(worker);
        var (analytics, objects) = await SettledAsync(query, cancellation);

        var end = start.Now + Plan.Length;
        var byName = objects.Where(o => o.Name is not null).ToDictionary(o => o.Name!, StringComparer.Ordinal);
        var time = new Dictionary<Guid, TimeSpan>();
        var ran = new Dictionary<Guid, int>();
        var perObject = new List<int>(Plan.Objects);
        foreach (var i in Enumerable.Range(0, Plan.Objects))
        {
            if (!byName.TryGetValue($"o{i}", out var summary))
            {
                perObject.Add(0);
                continue;
            }

            perObject.Add(summary.ResetCount);
            var first = summary.Resets.IsEmpty ? summary.VersionId : summary.Resets.MinBy(r => r.At)!.FromVersion;
            var spans = VersionTimeline.TimeOnVersions(start.Now, first, summary.Resets.Select(r => (r.At, r.ToVersion)), end);
            foreach (var (version, span) in spans.Where(s => s.Value > TimeSpan.Zero))
            {
                time[version] = time.GetValueOrDefault(version) + span;
                ran[version] = ran.GetValueOrDefault(version) + 1;
            }
        }

        var calls = analytics.DurableObjects.Where(c => c.ClassName == ClassName).SelectMany(c => c.Versions).ToDictionary(v => v.VersionId);
        return new ReplayReport
        {
            CodeUpdate = codeUpdate ?? CodeUpdateStrategy.PlatformDefault,
            Steps = steps,
            Versions = [.. steps.Select(s => new ReplayVersionLine(
                s.Version, ran.GetValueOrDefault(s.Version.Id), time.GetValueOrDefault(s.Version.Id),
                calls.GetValueOrDefault(s.Version.Id)?.Requests ?? 0, calls.GetValueOrDefault(s.Version.Id)?.Errors ?? 0))],
            ResetsPerObject = perObject,
            ResetsWhileActive = objects.Sum(o => o.Resets.Count(r => r.WasActive)),
            ResetsOnWaking = objects.Sum(o => o.Resets.Count(r => !r.WasActive)),
            Requests = requests,
            Errors = errors,
            Analytics = analytics,
            Wall = wall.Elapsed,
        };
    }

    private static async Task<(WorkerAnalytics Analytics, System.Collections.Immutable.ImmutableArray<ObjectSummary> Objects)> SettledAsync(IWorkerQueryGrain query, CancellationToken cancellation)
    {
        var filter = new ObjectFilter { ClassName = ClassName };
        long? before = null;
        for (var waited = Stopwatch.StartNew(); ; await Task.Delay(100, cancellation))
        {
            var analytics = await query.Analytics();
            var resets = analytics.DurableObjects.Where(c => c.ClassName == ClassName).SelectMany(c => c.Resets).Sum(r => r.Count);
            var objects = await query.Objects(filter);
            if (resets == before && objects.Sum(o => (long)o.ResetCount) == resets)
            {
                return (analytics, objects);
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"The replay's resets did not settle within 30 s of its end: the silos counted {resets:N0}, the object index holds {objects.Sum(o => o.ResetCount):N0}. The cluster may be overloaded; try fewer objects.");
            }

            before = resets;
        }
    }
}
