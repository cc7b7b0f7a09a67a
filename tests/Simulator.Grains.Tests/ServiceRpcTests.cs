using System.Text.Json;
using Simulator.Contracts;
using Simulator.Testing;

namespace Simulator.Grains.Tests;

/// <summary>JS RPC over service bindings: named entrypoints, the default export, plain-object handlers, errors, versions and traces.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ServiceRpcTests(ClusterFixture fixture)
{
    private const string Backend = """
        import { WorkerEntrypoint } from "cloudflare:workers";
        export class Auth extends WorkerEntrypoint {
          async check(token, options) {
            return { ok: token === "t", seen: options.roles instanceof Set && options.roles.has("admin"), greeting: this.env.GREETING, version: this.env.VERSION.tag };
          }
          get limit() { return 5; }
          fail() { const e = new RangeError("too many"); e.code = 42; throw e; }
          async fetch(request) { return new Response(`Auth fetch ${new URL(request.url).pathname}`); }
        }
        export class NotAnEntrypoint { hello() { return "no"; } }
        export const Plain = {
          double(x, env, ctx) { return { twice: x * 2, greeting: env.GREETING, ctx: typeof ctx.waitUntil }; },
          two(a, b) { return a + b; },
        };
        export default class extends WorkerEntrypoint {
          add(a, b) { return a + b; }
          fetch() { return new Response("default fetch"); }
        }
        """;

    private static string BackendConfig(string tag) => $"""
        name = "backend"
        main = "index.js"
        [vars]
        GREETING = "hello from {tag}"
        [version_metadata]
        binding = "VERSION"
        """;

    private static string FrontConfig(string backend) => $"""
        name = "front"
        main = "index.js"
        [[services]]
        binding = "AUTH"
        service = "{backend}"
        entrypoint = "Auth"
        [[services]]
        binding = "PLAIN"
        service = "{backend}"
        entrypoint = "Plain"
        [[services]]
        binding = "NOPE"
        service = "{backend}"
        entrypoint = "NotAnEntrypoint"
        [[services]]
        binding = "MISSING"
        service = "{backend}"
        entrypoint = "Missing"
        [[services]]
        binding = "BACKEND"
        service = "{backend}"
        """;

    // What each call gave: its value, or the error's name, message, remote flag and own code.
    private const string Front = """
        const attempt = async (f) => {
          try { return { value: await f() }; }
          catch (e) { return { name: e.name, message: e.message, remote: e.remote === true, code: e.code }; }
        };
        export default {
          async fetch(request, env) {
            const only = new URL(request.url).searchParams.get("only");
            if (only === "version") return Response.json(await attempt(() => env.AUTH.check("t", { roles: new Set() })));
            return Response.json({
              check: await attempt(() => env.AUTH.check("t", { roles: new Set(["admin"]) })),
              limit: await attempt(async () => await env.AUTH.limit),
              fail: await attempt(() => env.AUTH.fail()),
              missing: await attempt(() => env.AUTH.nothing()),
              reserved: await attempt(() => env.AUTH.alarm()),
              fetch: await (await env.AUTH.fetch("https://backend/path")).text(),
              defaultAdd: await attempt(() => env.BACKEND.add(2, 3)),
              defaultFetch: await (await env.BACKEND.fetch("https://backend/")).text(),
              plain: await attempt(() => env.PLAIN.double(21)),
              plainTwoArguments: await attempt(() => env.PLAIN.double(1, 2)),
              plainArity: await attempt(() => env.PLAIN.two(1)),
              notAnEntrypoint: await attempt(() => env.NOPE.hello()),
              noSuchEntrypoint: await attempt(() => env.MISSING.hello()),
              clone: await attempt(() => env.AUTH.check(() => 1, {})),
              thenable: typeof env.AUTH.then,
            });
          },
        };
        """;

    private async Task<(WorkerHandle Backend, WorkerHandle Front)> Deploy()
    {
        var backend = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await backend.DeployAsync(JavaScriptWorkers.Draft("b1", Backend, BackendConfig("b1")));
        var front = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await front.DeployAsync(JavaScriptWorkers.Draft("front", Front, FrontConfig(backend.Name)));
        return (backend, front);
    }

    [Fact]
    public async Task A_named_entrypoint_a_default_export_class_and_a_plain_object_answer_calls_with_their_values_and_errors()
    {
        var (_, front) = await Deploy();

        var body = await front.JsonAsync("/");

        var check = body.GetProperty("check").GetProperty("value");
        Assert.True(check.GetProperty("ok").GetBoolean());
        Assert.True(check.GetProperty("seen").GetBoolean());
        Assert.Equal("hello from b1", check.GetProperty("greeting").GetString());
        Assert.Equal(5, body.GetProperty("limit").GetProperty("value").GetInt32());
        var fail = body.GetProperty("fail");
        Assert.Equal("RangeError", fail.GetProperty("name").GetString());
        Assert.Equal("too many", fail.GetProperty("message").GetString());
        Assert.True(fail.GetProperty("remote").GetBoolean());
        Assert.Equal(42, fail.GetProperty("code").GetInt32());
        AssertTypeError(body.GetProperty("missing"), "The RPC receiver does not implement the method \"nothing\".");
        AssertTypeError(body.GetProperty("reserved"), "'alarm' is a reserved method and cannot be called over RPC.");
        Assert.Equal("Auth fetch /path", body.GetProperty("fetch").GetString());
        Assert.Equal(5, body.GetProperty("defaultAdd").GetProperty("value").GetInt32());
        Assert.Equal("default fetch", body.GetProperty("defaultFetch").GetString());
        var plain = body.GetProperty("plain").GetProperty("value");
        Assert.Equal(42, plain.GetProperty("twice").GetInt32());
        Assert.Equal("hello from b1", plain.GetProperty("greeting").GetString());
        Assert.Equal("function", plain.GetProperty("ctx").GetString());
        Assert.StartsWith("Attempted to call RPC function \"double\" with the wrong number of arguments.", body.GetProperty("plainTwoArguments").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("Cannot call handler function \"two\" over RPC because it has the wrong number of arguments.", body.GetProperty("plainArity").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Worker does not export an entrypoint named \"NotAnEntrypoint\"", body.GetProperty("notAnEntrypoint").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Worker does not export an entrypoint named \"Missing\"", body.GetProperty("noSuchEntrypoint").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("over JS RPC is not simulated by dosim", body.GetProperty("clone").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("undefined", body.GetProperty("thenable").GetString());
    }

    private static void AssertTypeError(JsonElement error, string message)
    {
        Assert.Equal("TypeError", error.GetProperty("name").GetString());
        Assert.Equal(message, error.GetProperty("message").GetString());
        Assert.True(error.GetProperty("remote").GetBoolean());
    }

    [Fact]
    public async Task A_call_goes_to_the_version_the_callers_version_headers_select_and_is_traced_as_an_rpc_event_of_the_entrypoint()
    {
        var (backend, front) = await Deploy();
        var v1 = (await backend.HistoryAsync()).CurrentDeployment!.Versions[0].VersionId;
        var v2 = await backend.UploadAsync(JavaScriptWorkers.Draft("b2", Backend, BackendConfig("b2")));
        await backend.DeployVersionsAsync((v1, 50m), (v2.Id, 50m));

        // The front's request names a backend version; the call made while serving it gets that one.
        async Task<string?> TagVia(Guid version) =>
            JsonDocument.Parse((await front.FetchAsync("/?only=version", ("Cloudflare-Workers-Version-Overrides", $"{backend.Name}=\"{version}\""))).Response.Text)
                .RootElement.GetProperty("value").GetProperty("version").GetString();

        Assert.Equal("b2", await TagVia(v2.Id));
        Assert.Equal("b1", await TagVia(v1));

        var events = new List<TraceEvent>();
        await foreach (var e in backend.TailAsync(new TailFilter { Follow = false }))
        {
            events.Add(e);
        }

        var rpc = events.Where(e => e.EventType == "rpc").OrderBy(e => e.Sequence).ToList();
        Assert.Equal(2, rpc.Count);
        Assert.All(rpc, e => Assert.Equal("check", e.Event.RpcMethod));
        Assert.All(rpc, e => Assert.Equal("Auth", e.Entrypoint));
        Assert.Equal([v2.Id, v1], rpc.Select(e => e.ScriptVersion.Id));
        var analytics = await backend.AnalyticsAsync();
        Assert.Empty(analytics.DurableObjects);
    }
}
