using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Scenarios;

namespace Simulator.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class RolloutReplayRealClockTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_replay_on_a_cluster_that_runs_on_real_time_is_refused_with_how_to_start_one_that_does_not()
    {
        var name = ClusterFixture.NewWorkerName();
        var plan = new ReplayPlan(2, 1, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5));
        var refused = await Assert.ThrowsAsync<RuleRefusedException>(() => new RolloutReplay(fixture.Cluster.Client, name, plan, null).RunAsync());
        Assert.Contains("--clock virtual", refused.Message, StringComparison.Ordinal);
        Assert.Null(await fixture.Cluster.Worker(name).Query.History());
    }
}
