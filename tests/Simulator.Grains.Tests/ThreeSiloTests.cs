using Microsoft.Extensions.DependencyInjection;
using Simulator.Core;
using Simulator.Testing;

namespace Simulator.Grains.Tests;

/// <summary>A three-silo cluster of its own per test: these tests stop silos.</summary>
public sealed class ThreeSiloTests : IAsyncLifetime
{
    private DurableObjectsTestCluster? _cluster;

    private DurableObjectsTestCluster Cluster => _cluster!;

    public async Task InitializeAsync() => _cluster = await DurableObjectsTestCluster.StartAsync(3, TestScripts.Register);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    private static readonly string[] Names = [.. Enumerable.Range(0, 300).Select(i => "spread-" + i)];

    [Fact]
    public async Task Objects_spread_over_silos_and_every_silo_holds_the_same_deployment()
    {
        var worker = Cluster.Worker("spread", CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        await Parallel.ForEachAsync(Names, async (name, _) => await worker.FetchAsync("/" + name));
        var deployment = (await worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50))).Deployment;

        var silos = new HashSet<string>();
        var ranges = VersionRanges.From(deployment);
        foreach (var name in Names)
        {
            var status = await worker.ObjectAsync("Counter", name);
            silos.Add(status.Silo);
            Assert.Equal(ranges.VersionFor(DurableObjectId.FromName("Counter", name)), status.VersionId);
            Assert.Equal(status.VersionId == b.Id ? 1 : 0, status.ResetCount);
        }

        Assert.Equal(3, silos.Count);
        foreach (var silo in Cluster.Cluster.Silos)
        {
            Assert.True(silo.ServiceProvider.GetRequiredService<DeploymentCache>().TryGet("spread", out var snapshot), $"silo {silo.SiloAddress} has no copy");
            Assert.Equal(deployment.Id, snapshot.Deployment!.Id);
        }
    }

    [Fact]
    public async Task A_silo_stopped_mid_rollout_leaves_the_rest_to_finish_and_no_object_goes_back()
    {
        var worker = Cluster.Worker("survivor", CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        (Guid, decimal)[][] steps = [[(b.Id, 20), (a.Id, 80)], [(b.Id, 50), (a.Id, 50)], [(b.Id, 100)]];
        var seenB = new HashSet<string>();
        await Parallel.ForEachAsync(Names, async (name, _) => await worker.FetchAsync("/" + name));

        for (var step = 0; step < steps.Length; step++)
        {
            if (step == 1)
            {
                // Stop a silo that is not the primary, in the middle of the rollout.
                await Cluster.Cluster.StopSiloAsync(Cluster.Cluster.Silos[^1]);
            }

            var deployment = (await worker.DeployVersionsAsync(steps[step])).Deployment;
            var ranges = VersionRanges.From(deployment);
            foreach (var name in Names)
            {
                var result = await worker.FetchAsync("/" + name);
                Assert.Equal(200, result.Response.Status);
                Assert.Equal(ranges.VersionFor(DurableObjectId.FromName("Counter", name)), result.DurableObjectVersionId);
                if (result.DurableObjectVersionId == b.Id)
                {
                    seenB.Add(name);
                }
                else
                {
                    Assert.DoesNotContain(name, seenB);
                }
            }
        }

        Assert.Equal(Names.Length, seenB.Count);
        Assert.Equal(2, Cluster.Cluster.GetActiveSilos().Count());
    }
}
