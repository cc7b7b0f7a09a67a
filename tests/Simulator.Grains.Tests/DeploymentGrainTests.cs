using System.Collections.Immutable;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class DeploymentGrainTests(ClusterFixture fixture)
{
    private IDeploymentGrain Grain(string name) => fixture.Cluster.Client.GetGrain<IDeploymentGrain>(name);

    private static async Task<RuleRefusedException> Refused(int code, Func<Task> call)
    {
        var refused = await Assert.ThrowsAsync<RuleRefusedException>(call);
        Assert.Equal(code, refused.Code);
        Assert.Contains($"[code: {code}]", refused.Message, StringComparison.Ordinal);
        return refused;
    }

    [Fact]
    public async Task Every_refused_call_leaves_versions_deployments_and_objects_as_they_were()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        await worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50));
        await worker.FetchAsync("/foo");
        var grain = Grain(worker.Name);
        var before = await worker.HistoryAsync();
        var objectBefore = await worker.ObjectAsync("Counter", "foo");

        await Refused(RuleError.PercentageSum, () => grain.DeployVersions([new(a.Id, 60), new(b.Id, 60)], null, null, null));
        await Refused(RuleError.VersionCount, () => grain.DeployVersions([], null, null, null));
        await Refused(RuleError.UnknownVersion, () => grain.DeployVersions([new(Guid.NewGuid(), 100)], null, null, null));
        await Refused(RuleError.DuplicateVersion, () => grain.DeployVersions([new(a.Id, 50), new(a.Id, 50)], null, null, null));
        await Refused(RuleError.SecretsNeedLatestDeployed, () => grain.PutSecret("KEY", "v"));
        await Refused(RuleError.MigrationsNeedFullDeploy, () => grain.UploadVersion(new VersionDraft { Script = "counter", MigrationTag = "v9" }));
        await Refused(RuleError.InvalidInput, () => grain.UploadVersion(new VersionDraft { Script = "no-such-script" }));
        await Refused(RuleError.InvalidInput, () => grain.UploadVersion(new VersionDraft { Script = "hello", Vars = ImmutableSortedDictionary<string, string>.Empty.Add("SIM_ERROR_RATE", "lots") }));
        await Refused(RuleError.DeploymentConflict, () => grain.DeployVersions([new(a.Id, 100)], null, Guid.NewGuid(), null));

        var after = await worker.HistoryAsync();
        Assert.Equal(before.Versions, after.Versions);
        Assert.Equal(before.Deployments, after.Deployments);
        Assert.Equal(objectBefore, await worker.ObjectAsync("Counter", "foo"), new StatusComparer());
    }

    [Fact]
    public async Task A_worker_that_was_never_deployed_refuses_uploads_and_rollbacks()
    {
        var grain = Grain(ClusterFixture.NewWorkerName());
        await Refused(RuleError.WorkerNotDeployed, () => grain.UploadVersion(new VersionDraft { Script = "hello" }));
        await Refused(RuleError.WorkerNotDeployed, () => grain.Rollback(null, null, null));
        Assert.Null(await grain.GetHistory());
        await Refused(RuleError.InvalidInput, () => Grain("Not A Name").Deploy(new VersionDraft { Script = "hello" }, null, null));
    }

    [Fact]
    public async Task Of_two_concurrent_deploys_expecting_the_same_deployment_one_wins_and_the_other_conflicts()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync("hello", "A");
        var b = await worker.UploadAsync("hello", "B");
        var grain = Grain(worker.Name);
        var expected = (await worker.HistoryAsync()).CurrentDeployment!.Id;

        var first = grain.DeployVersions([new(b.Id, 10), new(a.Id, 90)], "one", expected, null);
        var second = grain.DeployVersions([new(b.Id, 90), new(a.Id, 10)], "two", expected, null);
        var outcomes = await Task.WhenAll(Outcome(first), Outcome(second));

        Assert.Single(outcomes, o => o.Deployment is not null);
        Assert.Equal(RuleError.DeploymentConflict, Assert.Single(outcomes, o => o.Error is not null).Error!.Code);
        var history = await worker.HistoryAsync();
        Assert.Equal(2, history.Deployments.Count);
        Assert.Equal(outcomes.Single(o => o.Deployment is not null).Deployment, history.CurrentDeployment);
    }

    private static async Task<(Deployment? Deployment, RuleRefusedException? Error)> Outcome(Task<DeploymentResult> deploy)
    {
        try
        {
            return ((await deploy).Deployment, null);
        }
        catch (RuleRefusedException ex)
        {
            return (null, ex);
        }
    }

    [Fact]
    public async Task A_secret_change_reaches_the_code_of_the_new_version()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync("hello", "A");
        var version = (await Grain(worker.Name).PutSecret("API_KEY", "s3cret")).Version;
        var history = await worker.HistoryAsync();
        Assert.Equal((version.Id, VersionSource.Secret), (history.CurrentDeployment!.Versions[0].VersionId, version.Source));
        Assert.Equal(version.Id, (await worker.FetchAsync("/")).VersionId);
    }

    [Fact]
    public async Task A_deployment_reaches_the_silo_before_the_deploy_returns()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync("hello", "A");
        await worker.FetchAsync("/");
        var b = await worker.UploadAsync("hello", "B");
        var deployment = await worker.DeployVersionsAsync((b.Id, 100));
        foreach (var silo in fixture.Cluster.Cluster.Silos)
        {
            var cache = (DeploymentCache)silo.ServiceProvider.GetService(typeof(DeploymentCache))!;
            Assert.True(cache.TryGet(worker.Name, out var snapshot));
            Assert.Equal(deployment.Deployment.Id, snapshot.Deployment!.Id);
        }

        Assert.NotEqual(a.Id, (await worker.FetchAsync("/")).VersionId);
    }

    [Fact]
    public async Task A_deploy_that_reorders_the_versions_warns_and_one_in_the_same_order_does_not()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync("hello", "A");
        var b = await worker.UploadAsync("hello", "B");
        Assert.Empty((await worker.DeployVersionsAsync((a.Id, 50), (b.Id, 50))).Warnings);
        Assert.Empty((await worker.DeployVersionsAsync((a.Id, 50), (b.Id, 49.999m))).Warnings);
        Assert.Empty((await worker.DeployVersionsAsync((a.Id, 50.001m), (b.Id, 50))).Warnings);
        Assert.Empty((await worker.DeployVersionsAsync((a.Id, 50), (b.Id, 50))).Warnings);
        var reordered = await worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50));
        Assert.Equal(2, reordered.Warnings.Length);
        Assert.All(reordered.Warnings, w => Assert.Contains("different order", w, StringComparison.Ordinal));
        Assert.True(reordered.Propagation.Complete);
        Assert.Equal(fixture.Cluster.Cluster.Silos.Count, reordered.Propagation.Applied.Length);
    }

    [Fact]
    public async Task A_secret_change_makes_an_untagged_version_that_can_be_split()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync("counter", "A", migrationTag: "v1");
        var secret = (await Grain(worker.Name).PutSecret("API_KEY", "x")).Version;
        Assert.Null(secret.Tag);
        Assert.Equal(a.Id, (await worker.HistoryAsync()).ResolveVersion("A").Id);
        var b = await worker.UploadAsync("counter", "B", migrationTag: "v1");
        var split = await worker.DeployVersionsAsync((b.Id, 20), (secret.Id, 80));
        Assert.Equal(2, split.Deployment.Versions.Length);
    }

    [Fact]
    public async Task Secret_values_reach_the_code_but_no_client()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync("secret");
        var put = await Grain(worker.Name).PutSecret("API_KEY", "s3cret-value");
        Assert.Equal("s3cret-value", (await worker.FetchAsync("/")).Response.Text);

        // Names only, in every answer a client gets.
        Assert.Equal(string.Empty, put.Version.Secrets["API_KEY"]);
        var history = await worker.HistoryAsync();
        Assert.Equal(["API_KEY"], history.LatestVersion!.Secrets.Keys);
        Assert.All(history.Versions.SelectMany(v => v.Secrets.Values), value => Assert.Equal(string.Empty, value));
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("Bad_Name")]
    [InlineData("-dash")]
    public async Task A_worker_name_that_breaks_the_naming_rule_is_refused_with_the_rule(string name)
    {
        var refused = await Refused(RuleError.InvalidInput, () => Grain(name).Deploy(new VersionDraft { Script = "hello" }, null, null));
        Assert.Contains("lowercase letters, digits and dashes", refused.Message, StringComparison.Ordinal);
    }

    private sealed class StatusComparer : IEqualityComparer<DurableObjectStatus>
    {
        public bool Equals(DurableObjectStatus? x, DurableObjectStatus? y) =>
            x is not null && y is not null && x.VersionId == y.VersionId && x.ResetCount == y.ResetCount && x.Resets.SequenceEqual(y.Resets) && x.IsActive == y.IsActive;

        public int GetHashCode(DurableObjectStatus obj) => obj.ResetCount;
    }
}
