using System.Collections.Immutable;
using CsCheck;
using Simulator.Core.Analytics;

namespace Simulator.Core.Tests;

public sealed class AnalyticsTests
{
    private static readonly Gen<double[]> Latencies = Gen.Double[0.001, 5_000].Array[1, 400];

    [Fact]
    public void A_percentile_is_the_exact_nearest_rank_latency_to_within_one_bucket()
    {
        Latencies.Select(Gen.Double[0.01, 1]).Sample((ms, q) =>
        {
            var histogram = new LatencyHistogram();
            foreach (var m in ms)
            {
                histogram.Record(TimeSpan.FromMilliseconds(m));
            }

            var sorted = ms.Order().ToArray();
            var exact = sorted[(int)Math.Ceiling(q * sorted.Length) - 1];
            var reported = histogram.PercentileMs(q)!.Value;
            return histogram.Count == ms.Length && reported >= exact * 0.9999 && reported <= Math.Max(exact, 0.001) * LatencyHistogram.Growth * 1.0001;
        });
    }

    [Fact]
    public void Histograms_from_several_silos_add_up_to_the_histogram_of_all_their_latencies()
    {
        Gen.Select(Latencies, Latencies).Sample((left, right) =>
        {
            var (a, b, all, merged) = (new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram());
            foreach (var m in left)
            {
                a.Record(TimeSpan.FromMilliseconds(m));
                all.Record(TimeSpan.FromMilliseconds(m));
            }

            foreach (var m in right)
            {
                b.Record(TimeSpan.FromMilliseconds(m));
                all.Record(TimeSpan.FromMilliseconds(m));
            }

            foreach (var (bucket, count) in b.Buckets().Concat(a.Buckets()))
            {
                merged.Add(bucket, count);
            }

            return merged.Buckets().OrderBy(x => x.Key).SequenceEqual(all.Buckets().OrderBy(x => x.Key));
        });
    }

    [Fact]
    public void An_empty_histogram_has_no_percentile_and_a_bad_quantile_or_bucket_is_refused()
    {
        var histogram = new LatencyHistogram();
        Assert.Null(histogram.PercentileMs(0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.PercentileMs(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.Add(LatencyHistogram.BucketCount, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => histogram.Add(0, -1));
        Assert.Equal(0, histogram.Count);
    }

    [Fact]
    public void The_report_counts_every_request_once_and_the_actual_shares_add_up_to_100()
    {
        var (a, b, stray) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        Gen.Select(Gen.Long[0, 10_000].Array[3], Gen.Long[0, 10_000].Array[3], Gen.Int[1, 99]).Sample((requests, errorSeeds, percent) =>
        {
            var ids = new[] { a, b, stray };
            var totals = ids.Select((id, i) =>
            {
                var t = new VersionTotals(id);
                var errors = requests[i] == 0 ? 0 : errorSeeds[i] % (requests[i] + 1);
                t.Add(requests[i], errors, errors == 0 ? ImmutableDictionary<string, long>.Empty : new Dictionary<string, long> { ["boom"] = errors }, new Dictionary<int, long> { [100] = requests[i] });
                return t;
            }).ToList();
            var deployment = new Deployment { Id = Guid.NewGuid(), CreatedOn = DateTimeOffset.UnixEpoch, Source = DeploymentSource.VersionsDeploy, Versions = [new(b, percent), new(a, 100 - percent)] };
            var report = DeploymentReport.Build(deployment, totals);
            var sum = requests.Sum();
            return report.Requests == sum
                && report.Versions.Select(v => v.VersionId).SequenceEqual([b, a, stray])
                && report.Versions.Sum(v => v.Requests) == sum
                && (sum == 0 ? report.Versions.All(v => v.ActualPercent is null) : Math.Abs(report.Versions.Sum(v => v.ActualPercent!.Value) - 100) < 1e-9)
                && report.Versions.All(v => v.Requests == 0 ? v.ErrorRate is null : v.ErrorRate == (double)v.Errors / v.Requests)
                && report.Versions[0].ConfiguredPercent == percent && report.Versions[2].ConfiguredPercent == 0;
        });
    }

    [Fact]
    public void A_version_of_the_deployment_that_served_nothing_still_has_its_line()
    {
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var deployment = new Deployment { Id = Guid.NewGuid(), CreatedOn = DateTimeOffset.UnixEpoch, Source = DeploymentSource.VersionsDeploy, Versions = [new(b, 10), new(a, 90)] };
        var served = new VersionTotals(a);
        served.Add(3, 1, new Dictionary<string, long> { ["Error: x"] = 1 }, new Dictionary<int, long> { [0] = 3 });
        var report = DeploymentReport.Build(deployment, [served]);
        Assert.Equal([b, a], report.Versions.Select(v => v.VersionId));
        Assert.Equal((0L, (double?)0, (double?)null, (double?)null), (report.Versions[0].Requests, report.Versions[0].ActualPercent, report.Versions[0].ErrorRate, report.Versions[0].P50Ms));
        Assert.Equal(100, report.Versions[1].ActualPercent);
        Assert.Equal(1d / 3, report.Versions[1].ErrorRate);
        Assert.Equal(new ExceptionCount("Error: x", 1), Assert.Single(report.Versions[1].Exceptions));
    }
}
