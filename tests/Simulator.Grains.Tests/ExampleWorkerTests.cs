using System.Text.Json;
using Simulator.Core.Tests;
using Simulator.Workers;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>The Workers in examples/, as a user would deploy them.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ExampleWorkerTests(ClusterFixture fixture)
{
    private static string Example(params string[] path) => Path.Combine([SharedFiles.RepositoryRoot, "examples", .. path]);

    [Fact]
    public async Task The_counter_example_counts_and_says_its_version()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var project = WorkerProject.Load([Example("counter", "index.js")], Example("counter", "wrangler.toml"));
        var a = await worker.DeployAsync(project.Draft("A"));

        var body = JsonDocument.Parse((await worker.FetchAsync("/foo")).Response.Text).RootElement;

        Assert.Equal(a.Id.ToString(), body.GetProperty("version").GetString());
        Assert.Equal(1, body.GetProperty("durable").GetInt32());
        Assert.Equal("v1", (await worker.HistoryAsync()).MigrationTag);
    }

    [Fact]
    public async Task The_shop_example_shows_its_stored_format_skewing_when_v2_is_rolled_back_to_v1()
    {
        var prices = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await prices.DeployAsync(WorkerProject.Load([Example("shop", "prices", "index.js")], Example("shop", "prices", "wrangler.toml")).Draft("p"));
        var shop = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        WorkerProject Version(string folder)
        {
            var project = WorkerProject.Load([Example("shop", folder, "index.js")], Example("shop", "wrangler.toml"));
            return project with { Code = project.Code with { ServiceBindings = project.Code.ServiceBindings.SetItem("PRICES", prices.Name) } };
        }

        var v1 = await shop.DeployAsync(Version("v1").Draft("v1"));
        var v2 = await shop.UploadAsync(Version("v2").Draft("v2"));
        async Task<JsonElement> Post(string path) =>
            JsonDocument.Parse((await fixture.Cluster.Client.GetGrain<Contracts.IWorkerGrain>(shop.Name).Invoke(new Contracts.WorkerRequest { Method = "POST", Url = $"https://{shop.Name}.localhost{path}" })).Response.Text).RootElement;

        var first = await Post("/cart/alice?sku=tea");
        Assert.Equal("[{\"sku\":\"tea\",\"quantity\":1,\"price\":3}]", first.GetProperty("lines").GetRawText());

        // v2 reads v1's plain numbers and writes its own format; the Stock object counts both.
        await shop.DeployVersionsAsync((v2.Id, 100));
        var second = await Post("/cart/alice?sku=tea");
        Assert.Equal("v2", second.GetProperty("version").GetString());
        Assert.Equal("[{\"sku\":\"tea\",\"quantity\":2,\"price\":6}]", second.GetProperty("lines").GetRawText());
        var stock = JsonDocument.Parse((await shop.FetchAsync("/stock/tea")).Response.Text).RootElement;
        Assert.Equal(2, stock.GetProperty("taken").GetInt32());

        // Rolled back, v1 meets a line in v2's format: the skew a real rollback would show.
        await shop.RollbackAsync(v1.Id);
        var skewed = JsonDocument.Parse((await shop.FetchAsync("/cart/alice")).Response.Text).RootElement;
        Assert.Equal("v1", skewed.GetProperty("version").GetString());
        Assert.Equal("v2", skewed.GetProperty("writtenBy").GetString());
        Assert.Equal(JsonValueKind.Null, skewed.GetProperty("lines")[0].GetProperty("quantity").ValueKind);
        Assert.Equal(2, (await shop.ObjectAsync("Cart", "alice")).ResetCount);
    }
}
