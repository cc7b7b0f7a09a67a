using Simulator.Contracts;
using Simulator.Core;
using Simulator.Core.Analytics;

namespace Simulator.Grains;

/// <summary>Adds up every silo's counts of a Worker into its analytics.</summary>
internal static class WorkerAnalyticsBuilder
{
    public static WorkerAnalytics Build(WorkerHistory history, SiloAnalytics[] silos)
    {
        var deployments = history.Deployments
            .Where(d => d.Id == history.CurrentDeployment?.Id || silos.Any(s => s.Invocations.Any(i => i.DeploymentId == d.Id)))
            .Reverse()
            .Select(d => DeploymentReport.Build(d, Totals(silos.SelectMany(s => s.Invocations).Where(i => i.DeploymentId == d.Id))));
        var classes = silos.SelectMany(s => s.Objects.Select(o => o.ClassName).Concat(s.Active.Select(a => a.ClassName)).Concat(s.Resets.Select(r => r.ClassName)))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(c => ClassReport(c, silos));
        return new WorkerAnalytics
        {
            Worker = history.WorkerName,
            CurrentDeployment = history.CurrentDeployment?.Id,
            Deployments = [.. deployments],
            DurableObjects = [.. classes],
            Tags = history.Tags(),
            Sockets = [.. silos.SelectMany(s => s.Sockets)
                .GroupBy(s => (s.ClassName, s.VersionId))
                .Select(g => new SocketCounters(g.Key.ClassName, g.Key.VersionId, g.Sum(s => s.MessagesIn), g.Sum(s => s.MessagesOut), g.Sum(s => s.ClosedByReset)))
                .OrderBy(s => s.ClassName, StringComparer.Ordinal).ThenBy(s => s.VersionId)],
            Skew = [.. SkewCell.Merge(silos.SelectMany(s => s.Skew), [.. history.Deployments.Reverse().Select(d => d.Id)])],
        };
    }

    private static IEnumerable<VersionTotals> Totals(IEnumerable<VersionCounters> counters) =>
        counters.GroupBy(c => c.VersionId).Select(g =>
        {
            var totals = new VersionTotals(g.Key);
            foreach (var c in g)
            {
                totals.Add(c.Requests, c.Errors, c.Exceptions, c.LatencyBuckets);
            }

            return totals;
        });

    private static ClassAnalytics ClassReport(string className, SiloAnalytics[] silos)
    {
        var objects = silos.SelectMany(s => s.Objects).Where(o => o.ClassName == className).ToList();
        var active = silos.SelectMany(s => s.Active).Where(a => a.ClassName == className).ToList();
        var versions = objects.Select(o => o.VersionId).Concat(active.Select(a => a.VersionId)).Distinct().Order()
            .Select(v => new ClassVersionAnalytics(
                v,
                active.Where(a => a.VersionId == v).Sum(a => a.Count),
                objects.Where(o => o.VersionId == v).Sum(o => o.Requests),
                objects.Where(o => o.VersionId == v).Sum(o => o.Errors)));
        var resets = silos.SelectMany(s => s.Resets).Where(r => r.ClassName == className)
            .GroupBy(r => (r.From, r.To)).Select(g => new ResetCounters(className, g.Key.From, g.Key.To, g.Sum(r => r.Count)))
            .OrderByDescending(r => r.Count);
        return new ClassAnalytics(className, [.. versions], [.. resets]);
    }
}
