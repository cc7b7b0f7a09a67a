using System.Collections.Immutable;

namespace Simulator.Core.Analytics;

/// <summary>What one version did under one deployment, added up over every silo.</summary>
public sealed class VersionTotals(Guid versionId)
{
    public Guid VersionId { get; } = versionId;
    public long Requests { get; private set; }
    public long Errors { get; private set; }
    public Dictionary<string, long> Exceptions { get; } = new(StringComparer.Ordinal);
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Adds one silo's counts.</summary>
    public void Add(long requests, long errors, IReadOnlyDictionary<string, long> exceptions, IReadOnlyDictionary<int, long> latencyBuckets)
    {
        ArgumentNullException.ThrowIfNull(exceptions);
        ArgumentNullException.ThrowIfNull(latencyBuckets);
        Requests += requests;
        Errors += errors;
        foreach (var (message, count) in exceptions)
        {
            Exceptions[message] = Exceptions.GetValueOrDefault(message) + count;
        }

        foreach (var (bucket, count) in latencyBuckets)
        {
            Latency.Add(bucket, count);
        }
    }
}

/// <summary>How many times an exception with this message was thrown.</summary>
public sealed record ExceptionCount(string Message, long Count);

/// <summary>One version's line in the report.</summary>
public sealed record VersionReport(
    Guid VersionId,
    decimal ConfiguredPercent,
    long Requests,
    double? ActualPercent,
    long Errors,
    double? ErrorRate,
    ImmutableArray<ExceptionCount> Exceptions,
    double? P50Ms,
    double? P95Ms,
    double? P99Ms);

/// <summary>Per-version traffic, errors and latency of one deployment, against its configured shares.</summary>
public sealed record DeploymentReport(Guid DeploymentId, long Requests, ImmutableArray<VersionReport> Versions)
{
    /// <summary>
    /// Lines up the totals with the deployment's versions, in the deployment's order. A version
    /// that served requests but is not in the deployment (requests still in flight as it changed)
    /// gets a line with 0% configured.
    /// </summary>
    public static DeploymentReport Build(Deployment deployment, IEnumerable<VersionTotals> totals)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(totals);
        var byVersion = totals.ToDictionary(t => t.VersionId);
        var all = byVersion.Values.Sum(t => t.Requests);
        var lines = deployment.Versions.Select(v => (v.VersionId, v.Percentage))
            .Concat(byVersion.Keys.Where(id => !deployment.Contains(id)).Order().Select(id => (VersionId: id, Percentage: 0m)))
            .Select(v =>
            {
                var t = byVersion.GetValueOrDefault(v.VersionId) ?? new VersionTotals(v.VersionId);
                return new VersionReport(
                    v.VersionId,
                    v.Percentage,
                    t.Requests,
                    all == 0 ? null : 100.0 * t.Requests / all,
                    t.Errors,
                    t.Requests == 0 ? null : (double)t.Errors / t.Requests,
                    [.. t.Exceptions.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).Select(e => new ExceptionCount(e.Key, e.Value))],
                    t.Latency.PercentileMs(0.50),
                    t.Latency.PercentileMs(0.95),
                    t.Latency.PercentileMs(0.99));
            });
        return new DeploymentReport(deployment.Id, all, [.. lines]);
    }
}
