using System.Text.Json;
using Simulator.Contracts;

namespace Simulator.Grains.Tests;

/// <summary>Hostile scripts: each fails its own request with a clear error, and the silo keeps serving.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JavaScriptSandboxTests(ClusterFixture fixture)
{
    public static TheoryData<string, string, string, string> Hostile => new()
    {
        { "an infinite loop", "export default { fetch() { while (true) {} } };", "Worker exceeded CPU time limit", "exceededCpu" },
        { "an infinite loop that counts and builds strings", "export default { fetch() { let s = ''; for (let i = 0; ; i++) { s = 'n' + i; } } };", "Worker exceeded CPU time limit", "exceededCpu" },
        { "unbounded recursion", "function f() { return f() + 1; } export default { fetch() { return f(); } };", "Maximum call stack size exceeded", "exception" },
        { "deeply nested JSON", "export default { fetch() { return Response.json(JSON.parse('['.repeat(100000) + ']'.repeat(100000))); } };", "depth", "exception" },
        { "a memory bomb", "export default { fetch() { const a = []; while (true) a.push('x'.repeat(1000000)); } };", "Worker exceeded memory limit", "exceededMemory" },
        { "a promise that never settles", "export default { fetch() { return new Promise(() => {}); } };", "will never generate a response", "exception" },
        { "an async handler awaiting a promise that never settles", "export default { async fetch() { await new Promise(() => {}); return new Response('x'); } };", "will never generate a response", "exception" },
        { "a handler that returns no Response", "export default { fetch() { return 42; } };", "not a Response", "exception" },
        { "an async handler that throws an object without a prototype", "export default { async fetch() { await 0; throw Object.assign(Object.create(null), { name: 'HttpError', message: 'boom' }); } };", "HttpError: boom", "exception" },
        { "an async handler that returns no Response", "export default { async fetch() { await 0; return 42; } };", "not a Response", "exception" },
        { "a runaway regular expression", "export default { fetch() { return new Response(String(/(a+)+$/.test('a'.repeat(40) + 'b'))); } };", "regular expression", "exceededCpu" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_script_fails_its_own_request_with_a_clear_error_and_others_are_served(string what, string script, string error, string outcome)
    {
        var hostile = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var healthy = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await hostile.DeployAsync(JavaScriptWorkers.Draft("bad", script, "name = \"hostile\""));
        await healthy.DeployAsync(JavaScriptWorkers.Draft("good", JavaScriptWorkers.Counter));

        var failed = await hostile.FetchAsync("/x");

        Assert.True(failed.Response.Status == 500, $"{what}: {failed.Response.Status}");
        Assert.Contains(error, failed.Error, StringComparison.Ordinal);
        var events = new List<TraceEvent>();
        await foreach (var e in hostile.TailAsync(new TailFilter { Follow = false }))
        {
            events.Add(e);
        }

        Assert.Equal(outcome, Assert.Single(events).Outcome);
        Assert.Equal(200, (await healthy.FetchAsync("/still-serving")).Response.Status);

        // The engine is usable after the failure: the same version serves a request that ends.
        Assert.Equal(500, (await hostile.FetchAsync("/again")).Response.Status);
    }

    [Fact]
    public async Task A_constructor_that_throws_fails_the_call_with_the_class_and_the_message()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            export class Counter { constructor() { throw new Error("no constructing today"); } async fetch() { return new Response("never"); } }
            export default { fetch(request, env) { return env.COUNTER.get(env.COUNTER.idFromName("x")).fetch(request); } };
            """));

        var result = await worker.FetchAsync("/x");

        Assert.Equal(500, result.Response.Status);
        Assert.Contains("Counter's constructor threw", result.Error, StringComparison.Ordinal);
        Assert.Contains("no constructing today", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_dosim_does_not_simulate_fails_with_an_error_that_says_so()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            export class Counter { async fetch() { return new Response("counted"); } }
            export default {
              async fetch(request, env) {
                const tried = {};
                for (const [name, run] of Object.entries({
                  wasm: () => WebAssembly.instantiate(new Uint8Array(0)),
                  caches: () => caches.default,
                  outbound: () => fetch("https://example.com/"),
                  byob: () => new ReadableStream().getReader({ mode: "byob" }),
                  rpcFunction: () => env.COUNTER.get(env.COUNTER.idFromName("x")).increment(() => 1),
                  rpcStream: () => env.COUNTER.get(env.COUNTER.idFromName("x")).increment(new ReadableStream()),
                })) {
                  try { await run(); tried[name] = "no error"; } catch (e) { tried[name] = e.message; }
                }
                return Response.json(tried);
              },
            };
            """));

        var result = await worker.FetchAsync("/x");

        using var body = JsonDocument.Parse(result.Response.Text);
        foreach (var name in new[] { "wasm", "caches", "outbound", "byob", "rpcFunction", "rpcStream" })
        {
            Assert.Contains("not simulated by dosim", body.RootElement.GetProperty(name).GetString(), StringComparison.Ordinal);
        }
    }
}
