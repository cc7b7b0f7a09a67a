using Simulator.Core;
using Simulator.Testing;
using Xunit;

namespace MyWorker.Tests;

public sealed class RolloutTests : IAsyncLifetime
{
    private DurableObjectsTestCluster _cluster = null!;

    // Simulated time: 10 s of idling or 300 s of max_delay pass in a call, not in real time.
    public async Task InitializeAsync() =>
        _cluster = await DurableObjectsTestCluster.StartAsync(silos: 1, o => o.VirtualClockStart = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Each_object_resets_exactly_once_over_the_docs_rollout()
    {
        // Immediate: each deploy resets the objects it reassigns at once, as the docs' table shows.
        var worker = _cluster.Worker("my-worker", CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", tag: "A");
        var b = await worker.UploadAsync("counter", tag: "B");
        string[] objects = ["foo", "bar", "baz"];

        foreach (var step in new[] { new[] { (b.Id, 20m), (a.Id, 80m) }, [(b.Id, 50m), (a.Id, 50m)], [(b.Id, 100m)] })
        {
            foreach (var name in objects)
            {
                await worker.FetchAsync("/" + name);
            }

            await worker.DeployVersionsAsync(step);
        }

        foreach (var name in objects)
        {
            var status = await worker.ObjectAsync("Counter", name);
            Assert.Equal(b.Id, status.VersionId);
            Assert.Equal(1, status.ResetCount);
        }
    }

    [Fact]
    public async Task With_the_platforms_default_an_active_object_keeps_its_code_until_it_idles()
    {
        // No strategy: the platform's default, deferred with a max_delay of 300 s.
        var worker = _cluster.Worker("deferred-worker");
        var a = await worker.DeployAsync("counter", tag: "A");
        var b = await worker.UploadAsync("counter", tag: "B");
        await worker.FetchAsync("/foo");

        await worker.DeployVersionsAsync((b.Id, 100m));
        Assert.Equal(a.Id, (await worker.ObjectAsync("Counter", "foo")).VersionId);

        // Idle past the 10 s grace, it hibernates; the next request builds it on B.
        await _cluster.AdvanceAsync(TimeSpan.FromSeconds(11));
        await worker.FetchAsync("/foo");
        var foo = await worker.ObjectAsync("Counter", "foo");
        Assert.Equal(b.Id, foo.VersionId);
        Assert.Equal(1, foo.ResetCount);
    }
}
