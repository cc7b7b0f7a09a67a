using System.Text.Json;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class JavaScriptRuntimeTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_javascript_counter_counts_in_memory_and_durably_and_knows_its_version()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync(JavaScriptWorkers.Draft("A", JavaScriptWorkers.Counter));

        var first = await worker.FetchAsync("/foo");
        var second = await worker.FetchAsync("/foo");

        Assert.True(second.Response.Status == 200, second.Error + second.Response.Text);
        using var body = JsonDocument.Parse(second.Response.Text);
        Assert.Equal("foo", body.RootElement.GetProperty("name").GetString());
        Assert.Equal(a.Id.ToString(), body.RootElement.GetProperty("version").GetString());
        Assert.Equal("A", body.RootElement.GetProperty("tag").GetString());
        Assert.Equal(2, body.RootElement.GetProperty("inMemory").GetInt32());
        Assert.Equal(2, body.RootElement.GetProperty("durable").GetInt32());
        Assert.Contains(second.Response.Headers, h => h.Key == "content-type" && h.Value == "application/json");
        Assert.Equal(a.Id, first.DurableObjectVersionId);
    }

    [Fact]
    public async Task A_reset_to_a_new_javascript_version_drops_memory_and_keeps_storage()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", JavaScriptWorkers.Counter));
        var b = await worker.UploadAsync(JavaScriptWorkers.Draft("B", JavaScriptWorkers.Counter));
        await worker.FetchAsync("/foo");
        await worker.FetchAsync("/foo");

        await worker.DeployVersionsAsync((b.Id, 100));
        var after = await worker.FetchAsync("/foo");

        using var body = JsonDocument.Parse(after.Response.Text);
        Assert.Equal("B", body.RootElement.GetProperty("tag").GetString());
        Assert.Equal(1, body.RootElement.GetProperty("inMemory").GetInt32());
        Assert.Equal(3, body.RootElement.GetProperty("durable").GetInt32());
        Assert.Equal(1, (await worker.ObjectAsync("Counter", "foo")).ResetCount);
    }

    [Fact]
    public async Task A_javascript_version_and_a_csharp_version_of_a_class_read_each_others_storage()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync("counter", "csharp", migrationTag: "v1");
        await worker.FetchAsync("/shared");
        await worker.FetchAsync("/shared");
        var js = await worker.UploadAsync(JavaScriptWorkers.Draft("js", JavaScriptWorkers.Counter));
        var csharp = (await worker.HistoryAsync()).Versions[0];

        await worker.DeployVersionsAsync((js.Id, 100));
        using (var body = JsonDocument.Parse((await worker.FetchAsync("/shared")).Response.Text))
        {
            Assert.Equal(3, body.RootElement.GetProperty("durable").GetInt32());
        }

        await worker.DeployVersionsAsync((csharp.Id, 100));
        using (var body = JsonDocument.Parse((await worker.FetchAsync("/shared")).Response.Text))
        {
            Assert.Equal(4, body.RootElement.GetProperty("durable").GetInt32());
            Assert.Equal("csharp", body.RootElement.GetProperty("tag").GetString());
        }
    }

    [Fact]
    public async Task An_exception_in_user_code_is_a_500_with_the_message_and_the_trace_event_says_exception()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            export default { async fetch(request) { throw new TypeError("the cake is a lie"); } };
            """, "name = \"thrower\""));

        var result = await worker.FetchAsync("/x");

        Assert.Equal(500, result.Response.Status);
        Assert.Contains("TypeError: the cake is a lie", result.Error, StringComparison.Ordinal);
        var events = new List<TraceEvent>();
        await foreach (var e in worker.TailAsync(new TailFilter { Follow = false }))
        {
            events.Add(e);
        }

        var failed = Assert.Single(events);
        Assert.Equal("exception", failed.Outcome);
        Assert.Contains("the cake is a lie", failed.Exceptions.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reset_in_the_middle_of_a_javascript_call_fails_it_with_the_platforms_error_and_the_new_code_serves_next()
    {
        const string Slow = """
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject {
              async fetch(request) {
                if (new URL(request.url).pathname === "/slow") await new Promise((resolve) => setTimeout(resolve, 3000));
                return Response.json({ tag: this.env.VERSION.tag });
              }
            }
            export default { fetch(request, env) { return env.COUNTER.get(env.COUNTER.idFromName("one")).fetch(request); } };
            """;
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", Slow));
        var b = await worker.UploadAsync(JavaScriptWorkers.Draft("B", Slow));
        await worker.FetchAsync("/warm");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var running = worker.FetchAsync("/slow");
        await Task.Delay(300);
        await worker.DeployVersionsAsync((b.Id, 100));
        var failed = await running;

        Assert.Equal(500, failed.Response.Status);
        Assert.Contains("reset", failed.Error, StringComparison.OrdinalIgnoreCase);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"the old code's call ran to its end ({clock.Elapsed}) instead of failing at the reset");
        using var body = JsonDocument.Parse((await worker.FetchAsync("/after")).Response.Text);
        Assert.Equal("B", body.RootElement.GetProperty("tag").GetString());
    }

    [Fact]
    public async Task A_silo_lets_the_engines_of_versions_no_longer_deployed_go_and_loads_them_again_on_a_rollback()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync(JavaScriptWorkers.Draft("A", JavaScriptWorkers.Counter));
        await worker.FetchAsync("/foo");
        var b = await worker.UploadAsync(JavaScriptWorkers.Draft("B", JavaScriptWorkers.Counter));
        var scripts = (Runtime.JavaScript.JavaScriptScripts)fixture.Cluster.Cluster.Silos[0].ServiceProvider.GetService(typeof(Runtime.JavaScript.JavaScriptScripts))!;
        Assert.True(scripts.Holds(a.Id));

        await worker.DeployVersionsAsync((b.Id, 100));
        await worker.FetchAsync("/foo");

        Assert.False(scripts.Holds(a.Id));
        Assert.True(scripts.Holds(b.Id));
        await worker.RollbackAsync(a.Id);
        using var body = JsonDocument.Parse((await worker.FetchAsync("/foo")).Response.Text);
        Assert.Equal("A", body.RootElement.GetProperty("tag").GetString());
        Assert.Equal(3, body.RootElement.GetProperty("durable").GetInt32());
    }
}
