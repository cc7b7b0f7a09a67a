using Simulator.Core;
using Simulator.Grains.Scenarios;

namespace Simulator.Grains.Tests;

/// <summary>
/// The rapid-deploy loop, replayed on the virtual clock: three deploys two minutes apart on busy
/// objects reset each object three times with <c>immediate</c> and once with the platform's
/// default, which skips the versions in between and leaves v2 and v3 Workers calling v1 objects.
/// </summary>
[Collection(VirtualClockCollection.Name)]
public sealed class RolloutReplayTests(VirtualClockFixture fixture)
{
    private static readonly ReplayPlan RapidDeploys = new(Objects: 4, Deploys: 3, Every: TimeSpan.FromMinutes(2), RequestEvery: TimeSpan.FromSeconds(5));

    [Fact]
    public async Task With_immediate_each_deploy_resets_every_busy_object_at_once()
    {
        var report = await new RolloutReplay(fixture.Cluster.Client, ClusterFixture.NewWorkerName(), RapidDeploys, CodeUpdateStrategy.ImmediateUpdate).RunAsync();

        Assert.All(report.ResetsPerObject, resets => Assert.Equal(3, resets));
        Assert.Equal([0, 4, 4, 4], report.Steps.Select(s => s.ResetNow));
        Assert.All(report.Steps, s => Assert.Equal(0, s.Deferred));
        Assert.Equal((12L, 0L), (report.ResetsWhileActive, report.ResetsOnWaking));

        // Each version ran two minutes on each object; the Worker never called an older object.
        Assert.All(report.Versions, v => Assert.Equal((4, TimeSpan.FromMinutes(8)), (v.Objects, v.ObjectTime)));
        Assert.DoesNotContain(report.Analytics.Skew, c => c.Skewed);
        Assert.Equal((8 * 12 * 4L, 0L), (report.Requests, report.Errors));
    }

    [Fact]
    public async Task With_the_platforms_default_a_busy_object_resets_once_at_its_first_deadline_onto_the_newest_version()
    {
        var report = await new RolloutReplay(fixture.Cluster.Client, ClusterFixture.NewWorkerName(), RapidDeploys, null).RunAsync();
        Assert.Equal(CodeUpdateStrategy.PlatformDefault, report.CodeUpdate);

        // The first deploy (at 2 min) sets every object's deadline at 7 min; the later ones keep it.
        Assert.All(report.ResetsPerObject, resets => Assert.Equal(1, resets));
        Assert.Equal([0, 0, 0, 0], report.Steps.Select(s => s.ResetNow));
        Assert.Equal([0, 4, 4, 4], report.Steps.Select(s => s.Deferred));
        Assert.All(report.Steps.Skip(1), s => Assert.Equal(TimeSpan.FromMinutes(7), s.SwitchBy));
        Assert.Equal((4L, 0L), (report.ResetsWhileActive, report.ResetsOnWaking));

        // The replay runs until the last deploy's 300 s and one round more have passed (11:05): v1
        // ran the first 7 minutes, v4 the rest; v2 and v3 never ran.
        Assert.Equal(
            [(4, TimeSpan.FromMinutes(28)), (0, TimeSpan.Zero), (0, TimeSpan.Zero), (4, TimeSpan.FromSeconds(4 * 245))],
            report.Versions.Select(v => (v.Objects, v.ObjectTime)));
        Assert.Equal(0, report.Versions[1].Calls + report.Versions[2].Calls);

        // The skew: v2, v3 and v4 Workers called v1 objects until 7 min; no call failed.
        var skewed = report.Analytics.Skew.Where(c => c.Skewed).Select(c => (Worker: report.Analytics.Tags[c.CallerVersionId], Object: report.Analytics.Tags[c.ObjectVersionId])).ToHashSet();
        Assert.Equal([("v2", "v1"), ("v3", "v1"), ("v4", "v1")], skewed.Order());
        Assert.Equal(0L, report.Errors);
    }

    [Fact]
    public async Task A_replay_refuses_a_plan_that_cannot_run_and_deploys_nothing()
    {
        var name = ClusterFixture.NewWorkerName();
        var refused = await Assert.ThrowsAsync<Contracts.RuleRefusedException>(() => new RolloutReplay(fixture.Cluster.Client, name, RapidDeploys with { Every = TimeSpan.FromMilliseconds(1500) }, null).RunAsync());
        Assert.Contains("whole seconds", refused.Message, StringComparison.Ordinal);
        Assert.Null(await fixture.Cluster.Worker(name).Query.History());
    }
}
