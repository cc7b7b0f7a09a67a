using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>When an object resets, and what happens to calls and state when it does.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ResetTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_call_in_flight_during_a_reset_fails_with_the_platforms_error_and_the_next_call_succeeds()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("gated", "A");
        var b = await worker.UploadAsync("gated", "B");
        var name = "gate-" + Guid.NewGuid().ToString("N");
        var gate = Gates.For(name);

        var inFlight = worker.FetchAsync("/" + name);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await worker.DeployVersionsAsync((b.Id, 100));

        var failed = await inFlight.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(500, failed.Response.Status);
        Assert.Equal("Durable Object reset because its code was updated.", failed.Error);
        Assert.Equal(a.Id, failed.VersionId);

        gate.Open.TrySetResult();
        var next = await worker.FetchAsync("/" + name);
        Assert.Equal(200, next.Response.Status);
        Assert.Equal(b.Id.ToString(), next.Response.Text);
        Assert.Equal(1, (await worker.ObjectAsync("Gated", name)).ResetCount);
    }

    [Fact]
    public async Task An_inactive_object_starts_on_its_new_version_and_counts_one_reset_when_it_next_runs()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        var c = await worker.UploadAsync("counter", "C");
        await worker.FetchAsync("/sleepy");
        var key = DurableObjectKey.Format(worker.Name, "Counter", DurableObjectId.FromName("Counter", "sleepy"));
        await fixture.Cluster.Cluster.DeactivateAsync(fixture.Cluster.Client.GetGrain<IDurableObjectGrain>(key));

        // Two deployments pass while it sleeps: it is reset once, from what it last ran to what it runs now.
        await worker.DeployVersionsAsync((b.Id, 100));
        await worker.DeployVersionsAsync((c.Id, 100));
        var asleep = await worker.ObjectAsync("Counter", "sleepy");
        Assert.Equal((a.Id, 0, false), (asleep.VersionId!.Value, asleep.ResetCount, asleep.IsActive));

        var result = await worker.FetchAsync("/sleepy");
        Assert.Equal(c.Id, result.DurableObjectVersionId);
        Assert.Contains("\"durable\":2", result.Response.Text, StringComparison.Ordinal);
        var awake = await worker.ObjectAsync("Counter", "sleepy");
        var reset = Assert.Single(awake.Resets);
        Assert.Equal((a.Id, c.Id, false), (reset.FromVersion, reset.ToVersion, reset.WasActive));
    }

    [Fact]
    public async Task An_object_whose_version_does_not_change_is_not_touched()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        var names = Enumerable.Range(0, 200).Select(i => "n" + i).ToList();
        foreach (var name in names)
        {
            await worker.FetchAsync("/" + name);
        }

        await worker.DeployVersionsAsync((b.Id, 30), (a.Id, 70));
        var ranges = VersionRanges.From([new(b.Id, 30), new(a.Id, 70)]);
        foreach (var name in names)
        {
            var status = await worker.ObjectAsync("Counter", name);
            var stays = ranges.VersionFor(DurableObjectId.FromName("Counter", name)) == a.Id;
            Assert.Equal(stays ? 0 : 1, status.ResetCount);
            // An untouched object keeps its instance: it has seen one request since it was built.
            Assert.Equal(stays ? 1 : 0, status.RequestsSinceBuilt);
        }
    }

    [Theory]
    [InlineData("rollback")]
    [InlineData("reorder")]
    public async Task Resets_match_the_churn_preview_exactly(string change)
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        await worker.DeployVersionsAsync((b.Id, 40), (a.Id, 60));
        var names = Enumerable.Range(0, 300).Select(i => "obj-" + i).ToList();
        foreach (var name in names)
        {
            await worker.FetchAsync("/" + name);
        }

        var before = (await worker.HistoryAsync()).CurrentDeployment!;
        var after = (change == "rollback" ? await worker.RollbackAsync() : await worker.DeployVersionsAsync((a.Id, 60), (b.Id, 40))).Deployment;
        var preview = ChurnPreview.Compute(before, after);
        if (change == "reorder")
        {
            Assert.Equal(2, preview.Warnings.Count);
        }

        var predicted = preview.ChangedObjects(names.Select(n => DurableObjectId.FromName("Counter", n))).Select(c => c.ObjectId).ToHashSet();
        var reset = new HashSet<string>();
        foreach (var name in names)
        {
            var status = await worker.ObjectAsync("Counter", name);
            if (status.ResetCount > 0)
            {
                reset.Add(status.ObjectId);
            }
        }

        Assert.NotEmpty(predicted);
        Assert.Equal(predicted.Order(), reset.Order());
    }

    [Fact]
    public async Task A_version_at_0_percent_is_reached_only_through_an_override()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("hello", "A");
        var b = await worker.UploadAsync("hello", "B");
        await worker.DeployVersionsAsync((b.Id, 0), (a.Id, 100));
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(a.Id, (await worker.FetchAsync("/", (VersionHeaders.Key, "k" + i))).VersionId);
        }

        var overridden = await worker.FetchAsync("/", (VersionHeaders.Overrides, $"{worker.Name}=\"{b.Id}\""));
        Assert.Equal((b.Id, SelectionReasonCode.Override), (overridden.VersionId, overridden.Reason));
        Assert.Contains("Hello from version B", overridden.Response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deployment_with_a_version_that_cannot_build_existing_objects_is_refused_and_changes_nothing()
    {
        // H (hello, no Counter class) was the Worker's first version; A added Counter with a plain deploy.
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var h = await worker.DeployAsync("hello", "H");
        var a = await worker.DeployAsync("counter", "A");
        await worker.FetchAsync("/x");
        var before = await worker.HistoryAsync();

        var refused = await Assert.ThrowsAsync<RuleRefusedException>(() => worker.DeployVersionsAsync((h.Id, 50), (a.Id, 50)));
        Assert.Equal(RuleError.MissingDurableObjectClass, refused.Code);
        Assert.Contains("'Counter'", refused.Message, StringComparison.Ordinal);
        Assert.Contains(h.Id.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.Equal(RuleError.MissingDurableObjectClass, (await Assert.ThrowsAsync<RuleRefusedException>(() => worker.RollbackAsync(h.Id))).Code);

        Assert.Equal(before.Deployments.Count, (await worker.HistoryAsync()).Deployments.Count);
        var status = await worker.ObjectAsync("Counter", "x");
        Assert.Equal((a.Id, 0), (status.VersionId!.Value, status.ResetCount));
    }
}
