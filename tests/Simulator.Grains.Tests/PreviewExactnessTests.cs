using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>The churn preview counts exactly the objects the deploy then resets, even right after objects ran, moved or were created.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PreviewExactnessTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_preview_made_at_once_after_objects_ran_says_exactly_how_many_the_deploy_resets()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        string[][] steps = [["B@20%", "A@80%"], ["A@100%"], ["B@50%", "A@50%"], ["B@100%"], ["A@30%", "B@70%"], ["A@100%"]];
        var names = new List<string>();
        var round = 0;
        foreach (var step in steps)
        {
            // Objects touched just now (some of them new), so the index may not know of them yet.
            for (var i = 0; i < 8; i++)
            {
                names.Add($"o{round}-{i}");
            }

            foreach (var name in names.Skip(Math.Max(0, names.Count - 20)))
            {
                Assert.Equal(200, (await worker.FetchAsync("/" + name)).Response.Status);
            }

            var before = await ResetsAsync(worker, names);
            var preview = await worker.PreviewAsync(step);
            var shares = step.Select(s => (s[0] == 'A' ? a.Id : b.Id, decimal.Parse(s[2..^1], System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            await worker.DeployVersionsAsync(shares);
            var after = await ResetsAsync(worker, names);
            Assert.True(preview.Changing == after - before, $"step {string.Join(' ', step)}: the preview said {preview.Changing} objects would reset, {after - before} did");
            Assert.Equal(names.Count, preview.Objects);
            round++;
        }
    }

    private static async Task<int> ResetsAsync(Simulator.Testing.WorkerHandle worker, List<string> names)
    {
        var total = 0;
        foreach (var name in names)
        {
            total += (await worker.ObjectAsync("Counter", name)).ResetCount;
        }

        return total;
    }
}
