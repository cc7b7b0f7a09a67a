using BenchmarkDotNet.Attributes;
using Simulator.Core;
using Simulator.Core.StructuredFields;

namespace Simulator.Benchmarks;

/// <summary>The per-request and per-object decisions of Core, and the churn preview at scale.</summary>
[MemoryDiagnoser]
public class RuleBenchmarks
{
    private static readonly Guid A = new("dc8dcd28-271b-4367-9840-6c244f84cb40");
    private static readonly Guid B = new("0f3b4e5a-1111-4a4a-9999-123456789abc");
    private const string OverrideHeader = "my-worker=\"dc8dcd28-271b-4367-9840-6c244f84cb40\"";

    private readonly VersionRanges _ranges = VersionRanges.From([new VersionShare(B, 20), new VersionShare(A, 80)]);
    private readonly Random _random = new(42);
    private readonly string _objectId = DurableObjectId.FromName("Counter", "foo");
    private Deployment _current = null!;
    private Deployment _proposed = null!;
    private string[] _millionIds = null!;

    [GlobalSetup]
    public void Setup()
    {
        _current = Deployment(new VersionShare(B, 20), new VersionShare(A, 80));
        _proposed = Deployment(new VersionShare(B, 50), new VersionShare(A, 50));
        _millionIds = [.. Enumerable.Range(0, 1_000_000).Select(i => DurableObjectId.FromName("Counter", "object-" + i))];
    }

    private static Deployment Deployment(params VersionShare[] shares) =>
        new() { Id = Guid.NewGuid(), CreatedOn = DateTimeOffset.UnixEpoch, Source = DeploymentSource.VersionsDeploy, Versions = [.. shares] };

    [Benchmark(Description = "Select by version key")]
    public VersionSelection SelectByVersionKey() => VersionSelector.Select("my-worker", _ranges, null, "user-1234", _random);

    [Benchmark(Description = "Version by object id")]
    public Guid VersionByObjectId() => _ranges.VersionFor(_objectId);

    [Benchmark(Description = "Select at random (seeded)")]
    public VersionSelection SelectAtRandom() => VersionSelector.Select("my-worker", _ranges, null, null, _random);

    [Benchmark(Description = "Parse a one-member override header")]
    public StructuredDictionary ParseOverride() => StructuredFieldParser.ParseDictionary(OverrideHeader);

    [Benchmark(Description = "Select by override header")]
    public VersionSelection SelectByOverride() => VersionSelector.Select("my-worker", _ranges, OverrideHeader, null, _random);

    [Benchmark(Description = "Churn preview over 1,000,000 ids")]
    public int ChurnPreviewOverAMillionIds() => ChurnPreview.Compute(_current, _proposed).ChangedObjects(_millionIds).Count;
}
