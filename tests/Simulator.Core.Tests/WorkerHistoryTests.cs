using static Simulator.Core.Tests.TestWorkers;

namespace Simulator.Core.Tests;

/// <summary>One test per rule: the refusal's code, and that the history is exactly as it was.</summary>
public sealed class WorkerHistoryTests
{
    private static void Refused(WorkerHistory before, int code, Func<WorkerHistory, WorkerHistory> change)
    {
        var versions = before.Versions;
        var deployments = before.Deployments;
        var error = Assert.Throws<RuleViolationException>(() => change(before)).Error;
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.Same(versions, before.Versions);
        Assert.Same(deployments, before.Deployments);
    }

    [Fact]
    public void A_plain_deploy_makes_version_1_and_deploys_it_at_100_percent()
    {
        var history = WorkerHistory.Create("my-worker").Deploy(Draft("first"), "hello", Now);
        var version = Assert.Single(history.Versions);
        Assert.Equal(1, version.Number);
        Assert.Equal(VersionSource.Deploy, version.Source);
        Assert.Equal([new VersionShare(version.Id, 100)], history.CurrentDeployment!.Versions.ToArray());
    }

    [Fact]
    public void Uploading_does_not_deploy()
    {
        var before = Deployed(uploads: 0);
        var after = before.UploadVersion(Draft("v2"), Now);
        Assert.Equal(2, after.Versions.Count);
        Assert.Equal(2, after.Versions[1].Number);
        Assert.Same(before.CurrentDeployment, after.CurrentDeployment);
    }

    [Fact]
    public void The_first_version_comes_from_a_plain_deploy() =>
        Refused(WorkerHistory.Create("my-worker"), RuleError.WorkerNotDeployed, h => h.UploadVersion(Draft(), Now));

    [Fact]
    public void Invalid_worker_names_are_refused()
    {
        foreach (var name in new[] { "", "My-Worker", "-a", "a-", "a_b", new string('a', 64) })
        {
            Assert.Equal(RuleError.InvalidInput, Assert.Throws<RuleViolationException>(() => WorkerHistory.Create(name)).Error.Code);
        }
    }

    [Fact]
    public void Pending_migrations_cannot_be_uploaded_as_a_version()
    {
        var history = WorkerHistory.Create("my-worker").Deploy(CounterDraft("A", "v1"), null, Now);
        Refused(history, RuleError.MigrationsNeedFullDeploy, h => h.UploadVersion(CounterDraft("B", "v2"), Now));
    }

    [Fact]
    public void A_new_class_cannot_be_uploaded_as_a_version() =>
        Refused(Deployed(), RuleError.MigrationsNeedFullDeploy, h => h.UploadVersion(CounterDraft("B", migrationTag: null), Now));

    [Fact]
    public void A_plain_deploy_applies_migrations_and_records_the_tag()
    {
        var history = WorkerHistory.Create("my-worker").Deploy(CounterDraft("A", "v1"), null, Now);
        Assert.Equal("v1", history.MigrationTag);
        Assert.Equal(["Counter"], history.DurableObjectClasses);
        history = history.Deploy(CounterDraft("C", "v2"), null, Now);
        Assert.Equal(["v1", "v2"], history.MigrationTags);
        Assert.Equal(history.LatestVersion!.Id, history.CurrentDeployment!.Versions[0].VersionId);
        Refused(history, RuleError.InvalidInput, h => h.Deploy(CounterDraft("D", "v1"), null, Now));
    }

    [Fact]
    public void The_docs_rollout_works_on_a_worker_whose_first_version_applied_a_migration()
    {
        var history = WorkerHistory.Create("my-worker").Deploy(CounterDraft("A", "v1"), null, Now).UploadVersion(CounterDraft("B", "v1"), Now);
        var (a, b) = (history.V(1), history.V(2));
        history = history.DeployVersions(Shares((b, 20), (a, 80)), null, Now)
            .DeployVersions(Shares((b, 50), (a, 50)), null, Now)
            .DeployVersions(Shares((b, 100)), null, Now);
        Assert.Equal(4, history.Deployments.Count);
        Assert.Equal("v1", history.MigrationTag);
    }

    [Fact]
    public void A_version_uploaded_after_its_migration_was_applied_can_be_split()
    {
        var history = Deployed(uploads: 0).Deploy(CounterDraft("A", "v1"), null, Now).UploadVersion(CounterDraft("B", "v1"), Now);
        var split = history.DeployVersions(Shares((history.V(3), 50), (history.V(2), 50)), null, Now);
        Assert.Equal(2, split.CurrentDeployment!.Versions.Length);
    }

    [Fact]
    public void A_deployment_cannot_drop_a_class_its_objects_belong_to()
    {
        // v1 has no classes; v2 added Counter with a plain deploy; v3 is v2's code.
        var history = Deployed(uploads: 0).Deploy(CounterDraft("A", "v1"), null, Now).UploadVersion(CounterDraft("B", "v1"), Now);
        Refused(history, RuleError.MissingDurableObjectClass, h => h.DeployVersions(Shares((h.V(1), 50), (h.V(2), 50)), null, Now));
        Refused(history, RuleError.MissingDurableObjectClass, h => h.DeployVersions(Shares((h.V(1), 100)), null, Now));
        Refused(history, RuleError.MissingDurableObjectClass, h => h.Rollback(h.V(1), null, Now));
        var error = Assert.Throws<RuleViolationException>(() => history.DeployVersions(Shares((history.V(1), 50), (history.V(2), 50)), null, Now)).Error;
        Assert.Contains("'Counter'", error.Message, StringComparison.Ordinal);
        Assert.Contains(history.V(1).ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_split_of_two_versions_is_deployed_in_order()
    {
        var before = Deployed();
        var after = before.DeployVersions(Shares((before.V(2), 20), (before.V(1), 80)), "canary", Now);
        Assert.Equal([new VersionShare(before.V(2), 20), new VersionShare(before.V(1), 80)], after.CurrentDeployment!.Versions.ToArray());
        Assert.Equal("canary", after.CurrentDeployment.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void One_or_two_versions(int count)
    {
        var history = Deployed(uploads: 2);
        var shares = history.Versions.Take(count).Select(v => new VersionShare(v.Id, count == 0 ? 0 : 100m / 3)).ToList();
        Refused(history, RuleError.VersionCount, h => h.DeployVersions(shares, null, Now));
    }

    [Theory]
    [InlineData(-1, 101)]
    [InlineData(100.001, -0.001)]
    public void Percentages_are_between_0_and_100(double first, double second) =>
        Refused(Deployed(), RuleError.PercentageOutOfRange, h => h.DeployVersions(Shares((h.V(1), (decimal)first), (h.V(2), (decimal)second)), null, Now));

    [Fact]
    public void Percentages_have_at_most_3_decimals() =>
        Refused(Deployed(), RuleError.PercentagePrecision, h => h.DeployVersions(Shares((h.V(1), 50.0005m), (h.V(2), 49.9995m)), null, Now));

    [Theory]
    [InlineData(50, 49.998)]
    [InlineData(50, 50.002)]
    [InlineData(10, 10)]
    public void Percentages_add_up_to_100_within_a_thousandth(double first, double second) =>
        Refused(Deployed(), RuleError.PercentageSum, h => h.DeployVersions(Shares((h.V(1), (decimal)first), (h.V(2), (decimal)second)), null, Now));

    [Theory]
    [InlineData(50, 49.999)]
    [InlineData(50, 50.001)]
    [InlineData(0, 100)]
    [InlineData(0.001, 99.999)]
    public void Sums_within_a_thousandth_of_100_and_0_percent_are_accepted(double first, double second)
    {
        var history = Deployed();
        var after = history.DeployVersions(Shares((history.V(1), (decimal)first), (history.V(2), (decimal)second)), null, Now);
        Assert.Equal(2, after.CurrentDeployment!.Versions.Length);
    }

    [Fact]
    public void A_version_appears_once() =>
        Refused(Deployed(), RuleError.DuplicateVersion, h => h.DeployVersions(Shares((h.V(1), 50), (h.V(1), 50)), null, Now));

    [Fact]
    public void Unknown_versions_are_refused() =>
        Refused(Deployed(), RuleError.UnknownVersion, h => h.DeployVersions(Shares((Guid.NewGuid(), 100)), null, Now));

    [Fact]
    public void Only_the_last_10_versions_can_be_deployed()
    {
        var history = Deployed(uploads: 10);
        Refused(history, RuleError.OutsideDeployableWindow, h => h.DeployVersions(Shares((h.V(1), 100)), null, Now));
        Assert.Equal(history.V(2), history.DeployVersions(Shares((history.V(2), 100)), null, Now).CurrentDeployment!.Versions[0].VersionId);
    }

    [Fact]
    public void The_deployable_window_is_the_one_given_to_each_decision()
    {
        var history = Deployed(uploads: 10);
        var wide = new WorkerRules { DeployableWindow = 100 };
        Assert.Equal(history.V(1), history.DeployVersions(Shares((history.V(1), 100)), null, Now, rules: wide).CurrentDeployment!.Versions[0].VersionId);
        Assert.Equal(history.V(1), history.Rollback(history.V(1), null, Now, rules: wide).CurrentDeployment!.Versions[0].VersionId);
        Assert.Null(history.ValidateShares(Shares((history.V(1), 100)), wide));

        // The same history under a narrower window: nothing about the window is kept in it.
        var narrow = new WorkerRules { DeployableWindow = 2 };
        Refused(history, RuleError.OutsideDeployableWindow, h => h.DeployVersions(Shares((h.V(9), 100)), null, Now, rules: narrow));
        Assert.Equal(RuleError.InvalidInput, Assert.Throws<RuleViolationException>(() => new WorkerRules { DeployableWindow = 0 }).Error.Code);
    }

    [Fact]
    public void A_version_with_an_mtls_binding_cannot_be_part_of_a_split()
    {
        var history = Deployed().UploadVersion(Draft() with { HasMtlsBinding = true }, Now);
        Refused(history, RuleError.MtlsInSplit, h => h.DeployVersions(Shares((h.V(3), 10), (h.V(2), 90)), null, Now));
        Assert.Equal(history.V(3), history.DeployVersions(Shares((history.V(3), 100)), null, Now).CurrentDeployment!.Versions[0].VersionId);
    }

    [Fact]
    public void Smart_placement_cannot_use_gradual_deployments()
    {
        var history = Deployed().UploadVersion(Draft() with { UsesSmartPlacement = true }, Now);
        Refused(history, RuleError.SmartPlacementInSplit, h => h.DeployVersions(Shares((h.V(3), 0), (h.V(2), 100)), null, Now));
    }

    [Fact]
    public void A_deploy_that_expects_another_current_deployment_is_a_conflict()
    {
        var history = Deployed();
        var stale = history.CurrentDeployment!.Id;
        var moved = history.DeployVersions(Shares((history.V(2), 100)), null, Now, expectedCurrentDeployment: stale);
        Refused(moved, RuleError.DeploymentConflict, h => h.DeployVersions(Shares((h.V(1), 100)), null, Now, expectedCurrentDeployment: stale));
    }

    [Fact]
    public void A_rollback_without_a_version_goes_to_the_newest_earlier_single_version_deployment()
    {
        var history = Deployed(uploads: 2);
        history = history.DeployVersions(Shares((history.V(2), 100)), null, Now)
            .DeployVersions(Shares((history.V(3), 30), (history.V(2), 70)), null, Now);
        var rolledBack = history.Rollback(null, "bad canary", Now);
        Assert.Equal([new VersionShare(history.V(2), 100)], rolledBack.CurrentDeployment!.Versions.ToArray());
        Assert.Equal(DeploymentSource.Rollback, rolledBack.CurrentDeployment.Source);
    }

    [Fact]
    public void A_rollback_skips_a_deployment_of_the_version_already_deployed()
    {
        var history = Deployed();
        history = history.DeployVersions(Shares((history.V(2), 100)), null, Now).DeployVersions(Shares((history.V(2), 100)), null, Now);
        Assert.Equal(history.V(1), history.Rollback(null, null, Now).CurrentDeployment!.Versions[0].VersionId);
    }

    [Fact]
    public void A_rollback_needs_a_target()
    {
        Refused(Deployed(), RuleError.NoRollbackTarget, h => h.Rollback(null, null, Now));
        Refused(WorkerHistory.Create("my-worker"), RuleError.WorkerNotDeployed, h => h.Rollback(null, null, Now));
    }

    [Fact]
    public void A_rollback_stays_inside_the_deployable_window() =>
        Refused(Deployed(uploads: 10), RuleError.OutsideDeployableWindow, h => h.Rollback(h.V(1), null, Now));

    [Fact]
    public void A_rollback_to_a_named_version()
    {
        var history = Deployed(uploads: 2);
        Assert.Equal(history.V(3), history.Rollback(history.V(3), null, Now).CurrentDeployment!.Versions[0].VersionId);
        Refused(history, RuleError.UnknownVersion, h => h.Rollback(Guid.NewGuid(), null, Now));
    }

    [Fact]
    public void A_secret_change_is_a_new_version_deployed_at_100_percent()
    {
        var history = Deployed(uploads: 0).PutSecret("API_KEY", "s3cret", Now);
        var version = history.LatestVersion!;
        Assert.Equal(VersionSource.Secret, version.Source);
        Assert.Equal("s3cret", version.Secrets["API_KEY"]);
        Assert.Equal([new VersionShare(version.Id, 100)], history.CurrentDeployment!.Versions.ToArray());
        var deleted = history.DeleteSecret("API_KEY", Now);
        Assert.Empty(deleted.LatestVersion!.Secrets);
        Refused(deleted, RuleError.InvalidInput, h => h.DeleteSecret("API_KEY", Now));
    }

    [Fact]
    public void Secrets_cannot_change_during_a_split()
    {
        var history = Deployed();
        history = history.DeployVersions(Shares((history.V(2), 50), (history.V(1), 50)), null, Now);
        Refused(history, RuleError.SecretsNeedLatestDeployed, h => h.PutSecret("API_KEY", "x", Now));
    }

    [Fact]
    public void Secrets_cannot_change_while_the_latest_version_is_not_deployed() =>
        Refused(Deployed(), RuleError.SecretsNeedLatestDeployed, h => h.PutSecret("API_KEY", "x", Now));

    [Fact]
    public void Secret_names_are_checked() =>
        Refused(Deployed(uploads: 0), RuleError.InvalidInput, h => h.PutSecret("1-bad name", "x", Now));

    [Fact]
    public void A_secret_change_keeps_tags_unambiguous_and_the_version_splittable()
    {
        var history = WorkerHistory.Create("my-worker").Deploy(CounterDraft("A", "v1"), null, Now).PutSecret("API_KEY", "x", Now);
        var secretVersion = history.LatestVersion!;
        Assert.Null(secretVersion.Tag);
        Assert.Equal("v1", secretVersion.MigrationTag);
        Assert.Equal(history.V(1), history.ResolveVersion("A").Id);
        history = history.UploadVersion(CounterDraft("B", "v1"), Now);
        var split = history.DeployVersions(Shares((history.V(3), 20), (secretVersion.Id, 80)), null, Now);
        Assert.Equal(2, split.CurrentDeployment!.Versions.Length);
    }

    [Fact]
    public void Secret_values_do_not_leave_the_cluster()
    {
        var history = Deployed(uploads: 0).PutSecret("API_KEY", "s3cret", Now).PutSecret("OTHER", "t0ken", Now);
        var shown = history.WithoutSecretValues();
        Assert.Equal(history.Versions.Select(v => v.Secrets.Keys.ToList()), shown.Versions.Select(v => v.Secrets.Keys.ToList()));
        Assert.All(shown.Versions.SelectMany(v => v.Secrets.Values), value => Assert.Equal(string.Empty, value));
        Assert.Equal("s3cret", history.LatestVersion!.Secrets["API_KEY"]);
    }

    [Fact]
    public void Versions_carry_the_secrets_of_the_version_before()
    {
        var history = Deployed(uploads: 0).PutSecret("API_KEY", "x", Now).UploadVersion(Draft("next"), Now);
        Assert.Equal("x", history.LatestVersion!.Secrets["API_KEY"]);
    }

    [Fact]
    public void A_version_is_found_by_id_unique_tag_or_latest()
    {
        var history = Deployed(uploads: 2).UploadVersion(Draft("v2"), Now);
        Assert.Equal(history.V(1), history.ResolveVersion("v1").Id);
        Assert.Equal(history.V(3), history.ResolveVersion(history.V(3).ToString()).Id);
        Assert.Equal(history.V(4), history.ResolveVersion("latest").Id);
        Assert.Equal(RuleError.AmbiguousVersion, Assert.Throws<RuleViolationException>(() => history.ResolveVersion("v2")).Error.Code);
        Assert.Equal(RuleError.UnknownVersion, Assert.Throws<RuleViolationException>(() => history.ResolveVersion("nope")).Error.Code);
    }

    [Fact]
    public void A_version_needs_a_script() =>
        Refused(Deployed(), RuleError.InvalidInput, h => h.UploadVersion(new VersionDraft { Script = " " }, Now));
}
