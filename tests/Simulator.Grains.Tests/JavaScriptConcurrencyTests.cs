using System.Collections.Concurrent;
using System.Text.Json;

namespace Simulator.Grains.Tests;

/// <summary>One engine serves every object of a version on a silo: concurrent calls and resets must not corrupt it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JavaScriptConcurrencyTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Concurrent_requests_to_many_objects_of_one_version_with_interleaved_resets_stay_consistent()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var a = await worker.DeployAsync(JavaScriptWorkers.Draft("A", JavaScriptWorkers.Counter));
        var b = await worker.UploadAsync(JavaScriptWorkers.Draft("B", JavaScriptWorkers.Counter));
        const int Objects = 40, PerObject = 15;
        var successes = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentBag<string>();

        var requests = Task.WhenAll(Enumerable.Range(0, Objects * PerObject).Select(async i =>
        {
            var name = "c" + (i % Objects);
            var result = await worker.FetchAsync("/" + name);
            if (result.Response.Status == 200)
            {
                successes.AddOrUpdate(name, 1, (_, n) => n + 1);
            }
            else
            {
                failures.Add(result.Error ?? result.Response.Text);
            }
        }));
        var flips = Task.Run(async () =>
        {
            for (var i = 0; i < 6; i++)
            {
                await worker.DeployVersionsAsync(i % 2 == 0 ? [(b.Id, 50), (a.Id, 50)] : [(a.Id, 100)]);
            }
        });
        await Task.WhenAll(requests, flips);

        // A call that failed failed with the platform's reset error, nothing else.
        Assert.All(failures, f => Assert.Contains("reset", f, StringComparison.OrdinalIgnoreCase));
        for (var i = 0; i < Objects; i++)
        {
            var name = "c" + i;
            var after = await worker.FetchAsync("/" + name);
            Assert.Equal(200, after.Response.Status);
            using var body = JsonDocument.Parse(after.Response.Text);
            var durable = body.RootElement.GetProperty("durable").GetInt32();

            // Every answered call counted once; a call failed by a reset may have counted before it failed.
            Assert.InRange(durable - 1, successes.GetValueOrDefault(name), PerObject);
        }
    }
}
