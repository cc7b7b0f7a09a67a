using Simulator.Contracts;

namespace Simulator.Grains.Tests;

/// <summary>Secret values stay inside the cluster: an Orleans client finds them nowhere it can read.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SecretTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_client_at_the_gateway_reads_no_secret_value_and_the_code_still_gets_it()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            export default { fetch: (request, env) => new Response([...(env.API_KEY ?? "missing")].reverse().join("")) };
            """, "name = \"secrets\"\nmain = \"index.js\""));
        var client = fixture.Cluster.Client;
        var deployments = client.GetGrain<IDeploymentGrain>(worker.Name);
        var put = await deployments.PutSecret("API_KEY", "s3cret-value");
        Assert.Equal("eulav-terc3s", (await worker.FetchAsync("/")).Response.Text);

        // What a client reads: the deploy's answer, the history, the versions, the query API.
        var readable = new List<object?>
        {
            put,
            await deployments.GetHistory(),
            await worker.HistoryAsync(),
            await worker.Query.Version("latest"),
        };
        foreach (var read in readable)
        {
            Assert.DoesNotContain("s3cret-value", System.Text.Json.JsonSerializer.Serialize(read), StringComparison.Ordinal);
        }

        Assert.Contains("API_KEY", (await worker.HistoryAsync()).LatestVersion!.Secrets.Keys);

        // The snapshot the silos use is refused to a client.
        var refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => deployments.GetSnapshot());
        Assert.Contains("for the cluster's silos only", refused.Message, StringComparison.Ordinal);
    }
}
