using System.Text.Json;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>The worker runtime: selection, bindings, storage and the simulation vars.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RuntimeTests(ClusterFixture fixture)
{
    [Fact]
    public async Task The_same_version_key_gets_the_same_version_and_random_traffic_follows_the_split()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync("hello", "A");
        var b = await worker.UploadAsync("hello", "B");
        await worker.DeployVersionsAsync((b.Id, 25), (a.Id, 75));
        var ranges = VersionRanges.From([new(b.Id, 25), new(a.Id, 75)]);
        for (var i = 0; i < 50; i++)
        {
            var result = await worker.FetchAsync("/", (VersionHeaders.Key, "user-" + i));
            Assert.Equal((ranges.VersionFor("user-" + i), SelectionReasonCode.VersionKey), (result.VersionId, result.Reason));
        }

        // 2,000 random requests at 25%: within 6 standard deviations (±117) of 500.
        var onB = 0;
        for (var i = 0; i < 2000; i++)
        {
            var result = await worker.FetchAsync("/");
            Assert.Equal(SelectionReasonCode.Random, result.Reason);
            onB += result.VersionId == b.Id ? 1 : 0;
        }

        Assert.InRange(onB, 500 - 117, 500 + 117);
    }

    [Fact]
    public async Task A_service_binding_passes_the_version_key_and_overrides_to_the_subrequest()
    {
        var front = fixture.Cluster.Worker("front");
        var back = fixture.Cluster.Worker("back");
        await front.DeployAsync("front");
        var b1 = await back.DeployAsync("echo-headers", "b1");
        var b2 = await back.UploadAsync("echo-headers", "b2");
        await back.DeployVersionsAsync((b2.Id, 0), (b1.Id, 100));

        var plain = await front.FetchAsync("/");
        Assert.Equal($"{b1.Id}||", plain.Response.Text);

        var overrides = $"back=\"{b2.Id}\"";
        var steered = await front.FetchAsync("/", (VersionHeaders.Key, "user-7"), (VersionHeaders.Overrides, overrides));
        Assert.Equal($"{b2.Id}|user-7|{overrides}", steered.Response.Text);
    }

    [Fact]
    public async Task Durable_storage_gets_puts_lists_and_deletes_several_keys_at_once()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync("store");
        Assert.Equal("ok", (await worker.FetchAsync("/put-many")).Response.Text);
        Assert.Equal("a:1=1,a:2=2", (await worker.FetchAsync("/list-a")).Response.Text);
        Assert.Equal("a:1=1,b:1=3", (await worker.FetchAsync("/get-many")).Response.Text);
        Assert.Equal("1 True", (await worker.FetchAsync("/delete")).Response.Text);
        Assert.Equal("a:2=2", (await worker.FetchAsync("/list-a")).Response.Text);
        var bad = await worker.FetchAsync("/bad-key");
        Assert.Equal(500, bad.Response.Status);
        Assert.Contains("A storage key is 1 to 2048 bytes long", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SIM_ERROR_RATE_fails_that_share_of_requests_on_that_version_only()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var good = await worker.DeployAsync("hello", "good");
        var bad = await worker.UploadAsync("hello", "bad", new Dictionary<string, string> { ["SIM_ERROR_RATE"] = "1" });
        await worker.DeployVersionsAsync((bad.Id, 50), (good.Id, 50));
        for (var i = 0; i < 100; i++)
        {
            var result = await worker.FetchAsync("/");
            Assert.Equal(result.VersionId == bad.Id ? 500 : 200, result.Response.Status);
            Assert.Equal(result.VersionId == bad.Id, result.Error?.StartsWith("Simulated failure", StringComparison.Ordinal) ?? false);
        }
    }

    [Fact]
    public async Task A_request_for_a_worker_that_does_not_exist_says_so()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var missing = await Assert.ThrowsAsync<WorkerNotDeployedException>(() => worker.FetchAsync("/"));
        Assert.Contains($"There is no Worker named '{worker.Name}'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_metadata_and_vars_reach_the_code()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var v = await worker.DeployAsync("hello", "v1", new Dictionary<string, string> { ["GREETING"] = "hi" });
        Assert.Equal($"Hello from version v1 ({v.Id}) GREETING=hi\n", (await worker.FetchAsync("/")).Response.Text);
    }

    [Fact]
    public async Task SIM_ERROR_RATE_acts_on_the_versions_Durable_Objects_too()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var good = await worker.DeployAsync("counter", "good");
        var bad = await worker.UploadAsync("counter", "bad", new Dictionary<string, string> { ["SIM_ERROR_RATE"] = "1" });
        await worker.DeployVersionsAsync((bad.Id, 50), (good.Id, 50));
        var ranges = VersionRanges.From([new(bad.Id, 50), new(good.Id, 50)]);
        var overrides = (VersionHeaders.Overrides, $"{worker.Name}=\"{good.Id}\"");
        var failed = 0;
        for (var i = 0; i < 40; i++)
        {
            // The Worker always runs the good version; each object runs the version assigned to it.
            var result = await worker.FetchAsync("/o" + i, overrides);
            Assert.Equal(good.Id, result.VersionId);
            var onBad = ranges.VersionFor(DurableObjectId.FromName("Counter", "o" + i)) == bad.Id;
            Assert.Equal(onBad ? 500 : 200, result.Response.Status);
            Assert.Equal(onBad, result.Error?.Contains($"Simulated failure of version {bad.Id} in Durable Object class Counter", StringComparison.Ordinal) ?? false);
            failed += onBad ? 1 : 0;
        }

        Assert.InRange(failed, 1, 39);
    }

    [Fact]
    public async Task The_same_name_in_two_namespaces_names_two_objects()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync("namespaces");
        var ids = (await worker.FetchAsync("/foo")).Response.Text.Split(' ');
        Assert.Equal([DurableObjectId.FromName("Left", "foo"), DurableObjectId.FromName("Right", "foo")], ids);
        Assert.NotEqual(ids[0], ids[1]);
    }

    [Fact]
    public async Task A_client_header_cannot_change_the_name_an_object_learns()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync("counter");
        var result = await worker.FetchAsync("/foo", ("X-Simulator-Durable-Object-Name", "evil"), ("x-simulator-durable-object-name", "spoof1"));
        Assert.Equal("foo", JsonDocument.Parse(result.Response.Text).RootElement.GetProperty("name").GetString());
    }
}
