namespace Simulator.Core.Analytics;

/// <summary>
/// Latencies in log-scale buckets, each 2% wider than the one before, from 1 µs to over 1,000 s.
/// Recording is lock-free; counts are exact and a percentile is exact to within one bucket
/// (2%). Histograms from several silos add up bucket by bucket.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Bucket i holds latencies up to Growth^i microseconds.</summary>
    public const double Growth = 1.02;

    public const int BucketCount = 1100;

    private static readonly double LogGrowth = Math.Log(Growth);
    private readonly long[] _counts = new long[BucketCount];

    public long Count
    {
        get
        {
            long total = 0;
            foreach (var count in _counts)
            {
                total += Volatile.Read(in count);
            }

            return total;
        }
    }

    public static int BucketOf(double microseconds) =>
        microseconds <= 1 ? 0 : Math.Min(BucketCount - 1, (int)Math.Ceiling(Math.Log(microseconds) / LogGrowth));

    /// <summary>The largest latency bucket <paramref name="bucket"/> holds, in milliseconds.</summary>
    public static double UpperBoundMs(int bucket) => Math.Pow(Growth, bucket) / 1000;

    public void Record(TimeSpan elapsed) => Interlocked.Increment(ref _counts[BucketOf(elapsed.TotalMicroseconds)]);

    public void Add(int bucket, long count)
    {
        if (bucket is < 0 or >= BucketCount)
        {
            throw new ArgumentOutOfRangeException(nameof(bucket), bucket, $"A bucket is from 0 to {BucketCount - 1}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Interlocked.Add(ref _counts[bucket], count);
    }

    /// <summary>The non-empty buckets, for sending elsewhere and adding up there.</summary>
    public Dictionary<int, long> Buckets()
    {
        var buckets = new Dictionary<int, long>();
        for (var i = 0; i < BucketCount; i++)
        {
            if (Volatile.Read(in _counts[i]) is var count and > 0)
            {
                buckets[i] = count;
            }
        }

        return buckets;
    }

    /// <summary>The latency (ms) at quantile <paramref name="q"/> (0 &lt; q ≤ 1): the upper bound of the bucket holding it; null when empty.</summary>
    public double? PercentileMs(double q)
    {
        if (q is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "A quantile is above 0 and at most 1, e.g. 0.99.");
        }

        var total = Count;
        if (total == 0)
        {
            return null;
        }

        // The rank of the q-quantile among the sorted latencies (nearest-rank method).
        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += Volatile.Read(in _counts[i]);
            if (seen >= rank)
            {
                return UpperBoundMs(i);
            }
        }

        return UpperBoundMs(BucketCount - 1);
    }
}
