using Microsoft.Extensions.DependencyInjection;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>How a silo's agent resets its objects: on their own schedulers, and not at all when one went away.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PropagationTests(ClusterFixture fixture)
{
    [Fact]
    public async Task An_object_that_went_away_before_its_refresh_ran_says_so_and_resets_once_when_it_next_runs()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        await worker.FetchAsync("/gone");
        var active = fixture.Cluster.Cluster.Silos[0].ServiceProvider.GetRequiredService<ActiveObjects>();
        var entry = Assert.Single(active.Of(worker.Name)).Value;

        // The registry's reference outlives the activation: a refresh queued there must not run on it.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await Core.Tests.Eventually.Until("the object to deactivate", TimeSpan.FromSeconds(10), () => active.Of(worker.Name).Count == 0);
        Assert.False((await entry.Grain.RefreshHereAsync()).Ran);

        await worker.DeployVersionsAsync((b.Id, 100));
        var answer = await worker.FetchAsync("/gone");
        Assert.Equal(b.Id, answer.DurableObjectVersionId);
        Assert.Equal(1, answer.DurableObjectResets);
    }

    [Fact]
    public async Task The_agent_resets_each_reassigned_object_once_on_its_own_scheduler()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        var names = Enumerable.Range(0, 200).Select(i => "n" + i).ToList();
        foreach (var name in names)
        {
            await worker.FetchAsync("/" + name);
        }

        var result = await worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50));
        var moved = 0;
        foreach (var name in names)
        {
            var answer = await worker.FetchAsync("/" + name);
            moved += answer.DurableObjectResets!.Value;
            Assert.InRange(answer.DurableObjectResets!.Value, 0, 1);

            // Its in-memory count restarted exactly when it reset.
            Assert.Contains(answer.DurableObjectResets == 1 ? "\"inMemory\":1" : "\"inMemory\":2", System.Text.Encoding.UTF8.GetString(answer.Response.Body), StringComparison.Ordinal);
        }

        Assert.Equal(moved, result.Propagation.Applied.Sum(s => s.ObjectsReset));
        Assert.True(moved > 50 && moved < 150, $"{moved} of 200 objects moved at B50/A50");
    }
}
