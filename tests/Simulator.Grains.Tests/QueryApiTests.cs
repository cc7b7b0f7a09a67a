using Simulator.Contracts;
using Simulator.Core;
using Simulator.Core.Tests;

namespace Simulator.Grains.Tests;

/// <summary>The query API: objects from the index (active or not), the preview over all of them, analytics and tail.</summary>
[Collection(ClusterCollection.Name)]
public sealed class QueryApiTests(ClusterFixture fixture)
{
    private async Task DeactivateIdleGrainsAsync() =>
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

    [Fact]
    public async Task Objects_that_went_idle_stay_known_and_the_preview_counts_them_and_the_resets_follow_it()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        var names = Enumerable.Range(0, 30).Select(i => "q" + i).ToList();
        foreach (var name in names)
        {
            await worker.FetchAsync("/" + name);
        }

        // The index is written behind the calls, in batches: wait until it holds them all.
        await Eventually.Until("the index to hold the 30 objects", TimeSpan.FromSeconds(10), () => worker.ObjectsAsync(), all => all.Length == 30);
        await DeactivateIdleGrainsAsync();
        var idle = await worker.ObjectsAsync();
        Assert.Equal(names.Select(n => DurableObjectId.FromName("Counter", n)).Order(StringComparer.Ordinal), idle.Select(o => o.ObjectId));
        Assert.All(idle, o => Assert.Equal((a.Id, 0, false, "A"), (o.VersionId, o.ResetCount, o.IsActive, o.VersionTag)));
        Assert.Equal(names.Order(StringComparer.Ordinal), idle.Select(o => o.Name!).Order(StringComparer.Ordinal));
        Assert.Empty(await worker.ObjectsAsync(new ObjectFilter { ActiveOnly = true }));

        // The preview sees the sleeping objects too: exactly those the ranges move.
        var preview = await worker.PreviewAsync("B@50%", "A@50%");
        var ranges = VersionRanges.From([new(b.Id, 50), new(a.Id, 50)]);
        var moving = idle.Where(o => ranges.VersionFor(o.ObjectId) == b.Id).Select(o => o.ObjectId).ToHashSet();
        Assert.Equal((30L, 0L, (long)moving.Count, 0L), (preview.Objects, preview.ActiveObjects, preview.Changing, preview.ChangingActive));
        Assert.Equal(moving, preview.Changes.Select(c => c.ObjectId).ToHashSet());
        Assert.Empty((await worker.ObjectsAsync()).Where(o => o.ResetCount > 0));

        // Deployed, and each object run once more: the resets are the preview's, marked as inactive ones.
        await worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50));
        foreach (var name in names)
        {
            await worker.FetchAsync("/" + name);
        }

        var after = await Eventually.Until("the index to hold the resets", TimeSpan.FromSeconds(10), () => worker.ObjectsAsync(), all => all.Count(o => o.ResetCount == 1) == moving.Count);
        Assert.Equal(moving, after.Where(o => o.ResetCount == 1).Select(o => o.ObjectId).ToHashSet());
        Assert.All(after.Where(o => o.ResetCount == 1), o => Assert.False(Assert.Single(o.Resets).WasActive));
        Assert.All(after, o => Assert.True(o.IsActive));
        Assert.Equal(moving.Count, (await worker.ObjectsAsync(new ObjectFilter { Version = "B" })).Length);
    }

    [Fact]
    public async Task Analytics_answer_while_a_large_apply_is_running()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        var grains = Enumerable.Range(0, 20_000)
            .Select(i => fixture.Cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format(worker.Name, "Counter", DurableObjectId.FromName("Counter", "big" + i))))
            .ToList();
        await Parallel.ForEachAsync(grains, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (g, _) => await g.Fetch(WorkerRequest.Get($"https://{worker.Name}.localhost/x")));

        Task deploy;
        using (ApplyGate.Hold(worker.Name))
        {
            deploy = worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50));
            var analytics = worker.AnalyticsAsync();
            Assert.Same(analytics, await Task.WhenAny(analytics, deploy, Task.Delay(TimeSpan.FromSeconds(30))));
            Assert.False(deploy.IsCompleted, "the apply ended before analytics answered: the test proves nothing");
            Assert.Equal(20_000, (await analytics).DurableObjects.Single().Versions.Sum(v => v.Requests));
        }

        await deploy;
    }

    [Fact]
    public async Task Tail_streams_events_from_the_silos_as_they_happen()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync("counter", "A");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<TraceEvent>();
        var tail = Task.Run(async () =>
        {
            await foreach (var e in worker.TailAsync(new TailFilter { Version = "A" }, stop.Token))
            {
                seen.Add(e);
                if (seen.Count == 2)
                {
                    return;
                }
            }
        });

        // Sent only once the tail is listening, so its events are new ones.
        await Eventually.Until("the tail to be listening", TimeSpan.FromSeconds(10), async () =>
        {
            await worker.FetchAsync("/tailed");
            await Task.Delay(100);
            return tail.IsCompleted;
        }, done => done);
        await tail;
        Assert.All(seen, e => Assert.Equal(a.Id, e.ScriptVersion.Id));
        Assert.Contains(seen, e => e.Entrypoint == "Counter");
    }

    [Fact]
    public async Task Reads_of_a_worker_that_does_not_exist_say_so()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        Assert.Null(await worker.Query.History());
        var refused = await Assert.ThrowsAsync<RuleRefusedException>(() => worker.Query.Version("A"));
        Assert.Equal(RuleError.WorkerNotDeployed, refused.Code);
        await Assert.ThrowsAsync<RuleRefusedException>(() => worker.PreviewAsync("A@100%"));
    }
}
