using Simulator.Testing;

namespace Simulator.Grains.Tests;

/// <summary>One in-process silo with the simulator and the test scripts, shared by a collection.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private DurableObjectsTestCluster? _cluster;

    public DurableObjectsTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster did not start.");

    public async Task InitializeAsync() => _cluster = await DurableObjectsTestCluster.StartAsync(1, TestScripts.Register, silo => silo.AddIncomingGrainCallFilter<ApplyGate>());

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>A worker name no other test uses.</summary>
    public static string NewWorkerName() => "w-" + Guid.NewGuid().ToString("N")[..12];
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "one silo";
}
