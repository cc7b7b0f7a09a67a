using System.Collections.Immutable;
using CsCheck;
using Simulator.Core.Platform;
using static Simulator.Core.Tests.TestWorkers;

namespace Simulator.Core.Tests;

/// <summary>The platform's shapes, and the rules the REST API added: upload keys, versioned secrets, code update strategies.</summary>
public sealed class PlatformObjectsTests
{
    [Fact]
    public void Timestamps_are_fixed_width_so_text_order_is_time_order()
    {
        // wrangler sorts created_on with localeCompare: text order must be time order.
        Gen.Select(Gen.Long[0, 4_000_000_000_000_000], Gen.Long[0, 4_000_000_000_000_000]).Sample((a, b) =>
        {
            var (x, y) = (DateTimeOffset.UnixEpoch.AddTicks(a / 10 * 10), DateTimeOffset.UnixEpoch.AddTicks(b / 10 * 10));
            var (tx, ty) = (PlatformObjects.Timestamp(x), PlatformObjects.Timestamp(y));
            Assert.Equal(27, tx.Length);
            Assert.Equal(Math.Sign(x.CompareTo(y)), Math.Sign(string.CompareOrdinal(tx, ty)));
        });
        Assert.Equal("2026-11-23T12:00:00.000000Z", PlatformObjects.Timestamp(Now));
    }

    [Fact]
    public void Percentages_print_as_the_platform_prints_them()
    {
        var a = Guid.NewGuid();
        var shown = PlatformObjects.Deployment(Split((a, 100.000m)) with { Message = "m" });
        Assert.Equal($$"""[{"version_id":"{{a}}","percentage":100}]""", shown["versions"]!.ToJsonString());
        Assert.Equal("12.5", PlatformObjects.Deployment(Split((a, 12.500m)))["versions"]![0]!["percentage"]!.ToJsonString());
    }

    [Fact]
    public void Sources_are_labelled_as_wrangler_labels_them()
    {
        var history = Deployed(uploads: 0).PutSecret("API_KEY", "x", Now).UploadVersion(Draft("next"), Now);
        Assert.Equal(["Upload", "Secret Change", "Unknown (version_upload)"], history.Versions.Select(v => PlatformObjects.SourceLabel(PlatformObjects.TriggeredBy(v.Source))));
        Assert.Equal("Automatic deployment on upload.", PlatformObjects.Message(history.Deployments[0] with { Message = null }));
        Assert.Equal("Unknown (deployment)", PlatformObjects.SourceLabel(PlatformObjects.TriggeredBy(DeploymentSource.VersionsDeploy)));
        Assert.Equal("Rollback", PlatformObjects.SourceLabel(PlatformObjects.TriggeredBy(DeploymentSource.Rollback)));
    }

    [Fact]
    public void A_version_shows_secret_names_and_never_their_values()
    {
        var version = Deployed(uploads: 0).PutSecret("API_KEY", "s3cret", Now).LatestVersion!;
        var text = PlatformObjects.Version(version).ToJsonString();
        Assert.Contains("""{"name":"API_KEY","type":"secret_text"}""", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_upload_key_finds_the_latest_version_it_made_and_no_other()
    {
        var history = Deployed(uploads: 0).UploadVersion(Draft("a") with { UploadKey = "k1" }, Now).UploadVersion(Draft("b") with { UploadKey = "k2" }, Now);
        Assert.Equal("b", history.FindUpload("k2")!.Tag);

        // Another version came after it: the same bytes again are a new upload, not a retry.
        Assert.Null(history.FindUpload("k1"));
        Assert.Null(history.FindUpload("k3"));
        Assert.Null(history.FindUpload(null));
    }

    [Fact]
    public void Uploaded_secrets_are_set_over_the_inherited_ones()
    {
        var history = Deployed(uploads: 0).PutSecret("A", "1", Now).PutSecret("B", "2", Now)
            .UploadVersion(Draft("next") with { Secrets = ImmutableSortedDictionary<string, string>.Empty.Add("B", "3").Add("C", "4") }, Now);
        Assert.Equal(["A=1", "B=3", "C=4"], history.LatestVersion!.Secrets.Select(s => $"{s.Key}={s.Value}"));
    }

    [Fact]
    public void A_secret_version_copies_the_latest_with_its_secrets_changed_and_deploys_nothing()
    {
        var before = Deployed(uploads: 0).PutSecret("A", "1", Now);
        var changes = new Dictionary<string, string?> { ["A"] = null, ["B"] = "2" };
        var after = before.UploadSecretVersion(changes, "m", "t", Now);
        var version = after.LatestVersion!;
        Assert.Equal(["B=2"], version.Secrets.Select(s => $"{s.Key}={s.Value}"));
        Assert.Equal((VersionSource.Secret, "t", "m"), (version.Source, version.Tag, version.Message));
        Assert.Equal(before.Versions[^1].Script, version.Script);
        Assert.Same(before.Deployments, after.Deployments);

        var versions = before.Versions;
        Assert.Equal(RuleError.InvalidInput, Assert.Throws<RuleViolationException>(() => before.UploadSecretVersion(new Dictionary<string, string?> { ["MISSING"] = null }, null, null, Now)).Error.Code);
        Assert.Equal(RuleError.InvalidInput, Assert.Throws<RuleViolationException>(() => before.UploadSecretVersion(new Dictionary<string, string?> { ["1bad"] = "x" }, null, null, Now)).Error.Code);
        Assert.Equal(RuleError.NoVersions, Assert.Throws<RuleViolationException>(() => WorkerHistory.Create("empty").UploadSecretVersion(changes, null, null, Now)).Error.Code);
        Assert.Same(versions, before.Versions);
    }

    [Fact]
    public void A_code_update_strategy_is_stored_on_the_deployment_and_a_bad_one_is_refused()
    {
        var history = Deployed(uploads: 1);
        var deployed = history.DeployVersions(Shares((history.V(2), 100)), null, Now, strategy: new CodeUpdateStrategy("deferred", 300));
        Assert.Equal(new CodeUpdateStrategy("deferred", 300), deployed.CurrentDeployment!.CodeUpdateStrategy);
        var immediate = history.DeployVersions(Shares((history.V(2), 100)), null, Now, strategy: CodeUpdateStrategy.ImmediateUpdate);
        Assert.Equal("""{"mode":"immediate"}""", PlatformObjects.Deployment(immediate.CurrentDeployment!)["code_update_strategy"]!.ToJsonString());

        // None given: the answer echoes the strategy in effect, the platform's default; the deployment keeps none.
        var none = history.DeployVersions(Shares((history.V(2), 100)), null, Now);
        Assert.Null(none.CurrentDeployment!.CodeUpdateStrategy);
        Assert.Equal("""{"mode":"deferred","max_delay":300}""", PlatformObjects.Deployment(none.CurrentDeployment)["code_update_strategy"]!.ToJsonString());
        var deployments = history.Deployments;
        Assert.Equal(RuleError.InvalidInput, Assert.Throws<RuleViolationException>(() => history.DeployVersions(Shares((history.V(2), 100)), null, Now, strategy: new CodeUpdateStrategy("eventually", null))).Error.Code);
        Assert.Equal(RuleError.InvalidInput, Assert.Throws<RuleViolationException>(() => history.Deploy(Draft("x"), null, Now, new CodeUpdateStrategy("deferred", -1))).Error.Code);
        Assert.Same(deployments, history.Deployments);
    }
}
