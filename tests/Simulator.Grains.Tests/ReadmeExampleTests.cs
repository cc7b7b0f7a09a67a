using Simulator.Testing;
using Xunit;

namespace MyWorker.Tests;

public sealed class RolloutTests : IAsyncLifetime
{
    private DurableObjectsTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await DurableObjectsTestCluster.StartAsync(silos: 1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Each_object_resets_exactly_once_over_the_docs_rollout()
    {
        var worker = _cluster.Worker("my-worker");
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
}
