using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Simulator.Api;
using Simulator.Core.Assets;
using Simulator.Gateway;

namespace Simulator.Grains.Tests;

/// <summary>The platform's REST API on a free loopback port over the test cluster: real HTTP, uploads built as wrangler builds them.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PlatformApiTests(ClusterFixture fixture) : IAsyncLifetime
{
    private const string Counter = """
        import { DurableObject } from "cloudflare:workers";
        export class Counter extends DurableObject {
          async fetch() {
            const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
            await this.ctx.storage.put("n", n);
            return Response.json({ n, version: this.env.META.id });
          }
        }
        export default { fetch(request, env) { return env.COUNTER.getByName(new URL(request.url).pathname.slice(1)).fetch(request); } };
        """;

    private static readonly HttpClient Http = new();
    private readonly List<WebApplication> _apps = [];
    private readonly string _log = Path.Combine(Path.GetTempPath(), $"dosim-api-{Guid.NewGuid():N}.ndjson");
    private string _base = string.Empty;

    public async Task InitializeAsync() => _base = await StartAsync(o => (o.LogPath, o.MaxBodyBytes) = (_log, 64 * 1024));

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        File.Delete(_log);
    }

    private async Task<string> StartAsync(Action<PlatformApiOptions> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<IGrainFactory>(fixture.Cluster.Client);
        builder.Services.AddPlatformApi(configure);
        var app = builder.Build();
        app.UsePlatformApi();
        app.UseWorkerGateway();
        await app.StartAsync();
        _apps.Add(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    private static string Scripts(string worker) => $"/client/v4/accounts/acct/workers/scripts/{worker}";

    private async Task<(HttpStatusCode Status, JsonObject Envelope)> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? baseUrl = null, string? token = "any", bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(method, (baseUrl ?? _base) + path) { Content = content };

        // A body the server refuses unread: with 100-continue it is never sent, so the connection
        // cannot be reset under the answer (as curl does for large bodies).
        request.Headers.ExpectContinue = expectContinue;
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await Http.SendAsync(request);
        var envelope = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return (response.StatusCode, envelope);
    }

    private static MultipartFormDataContent Upload(JsonObject metadata, params (string Name, string Content, string Type)[] modules)
    {
        var form = new MultipartFormDataContent("----formdata-undici-" + Guid.NewGuid().ToString("N")[..12]);
        form.Add(new StringContent(metadata.ToJsonString(), Encoding.UTF8), "metadata");
        foreach (var (name, content, type) in modules)
        {
            var part = new StringContent(content, Encoding.UTF8);
            part.Headers.ContentType = new MediaTypeHeaderValue(type);
            form.Add(part, name, name);
        }

        return form;
    }

    private static JsonObject Metadata(string? tag = null, string? message = null, bool migrations = false)
    {
        var metadata = new JsonObject
        {
            ["main_module"] = "index.js",
            ["bindings"] = new JsonArray(
                new JsonObject { ["name"] = "COUNTER", ["type"] = "durable_object_namespace", ["class_name"] = "Counter" },
                new JsonObject { ["name"] = "META", ["type"] = "version_metadata" },
                new JsonObject { ["name"] = "GREETING", ["type"] = "plain_text", ["text"] = "hello" },
                new JsonObject { ["name"] = "CONF", ["type"] = "json", ["json"] = new JsonObject { ["a"] = 1 } },
                new JsonObject { ["name"] = "USERS", ["type"] = "service", ["service"] = "users", ["entrypoint"] = "Users" }),
            ["compatibility_date"] = "2025-09-01",
            ["keep_bindings"] = new JsonArray("secret_text", "secret_key"),
            ["annotations"] = new JsonObject { ["workers/tag"] = tag, ["workers/message"] = message },
        };
        if (migrations)
        {
            metadata["migrations"] = new JsonObject { ["new_tag"] = "v1", ["steps"] = new JsonArray(new JsonObject { ["new_sqlite_classes"] = new JsonArray("Counter") }) };
        }

        return metadata;
    }

    private static (string, string, string) Module(string content = Counter) => ("index.js", content, "application/javascript+module");

    private static JsonNode Result((HttpStatusCode Status, JsonObject Envelope) answer)
    {
        Assert.True(answer.Envelope["success"]!.GetValue<bool>(), answer.Envelope.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        return answer.Envelope["result"]!;
    }

    [Fact]
    public async Task An_assets_upload_session_buckets_what_is_missing_by_size_and_stores_only_that_for_its_own_worker()
    {
        var worker = "assets-" + Guid.NewGuid().ToString("N")[..8];
        var session = Scripts(worker) + "/assets-upload-session";
        JsonObject Manifest(params (string Path, string Hash, int Size)[] files) =>
            new() { ["manifest"] = new JsonObject(files.Select(f => KeyValuePair.Create(f.Path, (JsonNode?)new JsonObject { ["hash"] = f.Hash, ["size"] = f.Size }))) };
        var (a, b, c) = ("a" + worker.Replace("-", "", StringComparison.Ordinal), "b" + worker.Replace("-", "", StringComparison.Ordinal), "c" + worker.Replace("-", "", StringComparison.Ordinal));

        // This API's body limit is 64 KiB: a file that cannot fit one request is refused with what to raise.
        Refused(await SendAsync(HttpMethod.Post, session, JsonContent.Create(Manifest(("/big.bin", "d" + a, 50_000)))), HttpStatusCode.RequestEntityTooLarge, ApiErrors.BodyTooLarge, "--api-max-body");

        var started = Result(await SendAsync(HttpMethod.Post, session, JsonContent.Create(Manifest(("/a.html", a, 25_000), ("/b.html", b, 25_000), ("/c.txt", c, 100)))));
        var buckets = started["buckets"]!.AsArray().Select(x => x!.AsArray().Select(h => h!.GetValue<string>()).ToList()).ToList();
        Assert.Equal([[a], [b, c]], buckets.OrderBy(x => x.Count));
        var uploadToken = started["jwt"]!.GetValue<string>();

        MultipartFormDataContent Parts(params string[] hashes)
        {
            var form = new MultipartFormDataContent();
            foreach (var hash in hashes)
            {
                var part = new StringContent(Convert.ToBase64String(Encoding.UTF8.GetBytes("content of " + hash)));
                part.Headers.ContentType = new MediaTypeHeaderValue(hash == c ? "application/null" : "text/html");
                form.Add(part, hash, hash);
            }

            return form;
        }

        const string Assets = "/client/v4/accounts/acct/workers/assets/upload?base64=true";
        Refused(await SendAsync(HttpMethod.Post, Assets, Parts("not" + a), token: uploadToken), HttpStatusCode.BadRequest, ApiErrors.InvalidRequest, "is not a file this session waits for");
        var forged = uploadToken.Split('.') is var p ? $"{p[0]}.{Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder.Encode(Encoding.UTF8.GetBytes($$"""{"session":"{{Guid.NewGuid():N}}","kind":"upload","exp":{{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}"""))}.x" : "";
        Refused(await SendAsync(HttpMethod.Post, Assets, Parts(a), token: forged), HttpStatusCode.Unauthorized, ApiErrors.Authentication, "names no assets upload session");
        Assert.Null(Result(await SendAsync(HttpMethod.Post, Assets, Parts(a), token: uploadToken))["jwt"]);
        var complete = Result(await SendAsync(HttpMethod.Post, Assets, Parts(b, c), token: uploadToken))["jwt"]!.GetValue<string>();

        // The completion token names this Worker's session: another Worker's upload cannot take it.
        var metadata = Metadata();
        metadata["assets"] = new JsonObject { ["jwt"] = complete, ["config"] = new JsonObject { ["not_found_handling"] = "404-page" } };
        Refused(await SendAsync(HttpMethod.Put, Scripts("other-" + worker), Upload(metadata, Module())), HttpStatusCode.BadRequest, ApiErrors.ScriptInvalid, "for this Worker");
        Result(await SendAsync(HttpMethod.Put, Scripts(worker), Upload(metadata, Module())));
        var version = (await fixture.Cluster.Worker(worker).HistoryAsync()).LatestVersion!;
        Assert.Equal(["/a.html", "/b.html", "/c.txt"], version.Code!.Assets!.Files.Keys);
        Assert.Equal("text/html", version.Code.Assets.Files["/a.html"].ContentType);
        Assert.Null(version.Code.Assets.Files["/c.txt"].ContentType);
        Assert.Equal(NotFoundHandling.NotFoundPage, version.Code.Assets.NotFoundHandling);
    }

    [Fact]
    public async Task Text_and_data_modules_load_as_the_platform_loads_them_and_webassembly_is_refused_by_name()
    {
        var worker = "modules-" + Guid.NewGuid().ToString("N")[..8];
        var metadata = Metadata();
        const string Main = """
            import page from "./page.html";
            import bytes from "./blob.bin";
            export class Counter { async fetch() { return new Response(""); } }
            export default { fetch: () => Response.json({ page, isBuffer: bytes instanceof ArrayBuffer, bytes: [...new Uint8Array(bytes)] }) };
            """;
        using var form = Upload(metadata, ("index.js", Main, "application/javascript+module"), ("page.html", "<h1>\"hi\"</h1>\n", "text/plain"));
        var blob = new ByteArrayContent([0, 1, 254, 255]);
        blob.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(blob, "blob.bin", "blob.bin");
        Result(await SendAsync(HttpMethod.Put, Scripts(worker), form));

        var answer = await fixture.Cluster.Worker(worker).FetchAsync("/");
        Assert.Equal("""{"page":"<h1>\"hi\"</h1>\n","isBuffer":true,"bytes":[0,1,254,255]}""", answer.Response.Text);

        using var wasm = Upload(metadata, Module(), ("add.wasm", "\0asm", "application/wasm"));
        Refused(await SendAsync(HttpMethod.Put, Scripts(worker), wasm), HttpStatusCode.BadRequest, ApiErrors.NotSimulated, "WebAssembly");
    }

    private static void Refused((HttpStatusCode Status, JsonObject Envelope) answer, HttpStatusCode status, int code, string inMessage)
    {
        Assert.Equal(status, answer.Status);
        Assert.False(answer.Envelope["success"]!.GetValue<bool>());
        var error = answer.Envelope["errors"]![0]!;
        Assert.Equal(code, error["code"]!.GetValue<int>());
        Assert.Contains(inMessage, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(answer.Envelope["result"]);
    }

    private async Task<string> CreateAsync(string worker)
    {
        var created = Result(await SendAsync(HttpMethod.Put, Scripts(worker) + "?excludeScript=true&bindings_inherit=strict", Upload(Metadata(migrations: true), Module())));
        return created["deployment_id"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_first_deploy_two_uploads_and_a_split_deployment_read_back_in_the_platforms_shapes()
    {
        var worker = ClusterFixture.NewWorkerName();
        Refused(await SendAsync(HttpMethod.Get, $"/client/v4/accounts/acct/workers/services/{worker}"), HttpStatusCode.NotFound, ApiErrors.WorkerNotFound, "This Worker does not exist on your account.");
        var first = await CreateAsync(worker);

        var service = Result(await SendAsync(HttpMethod.Get, $"/client/v4/accounts/acct/workers/services/{worker}"));
        Assert.Equal("v1", service["default_environment"]!["script"]!["migration_tag"]!.GetValue<string>());

        var a = Result(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions?bindings_inherit=strict", Upload(Metadata("A", "first upload"), Module())));
        var b = Result(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions?bindings_inherit=strict", Upload(Metadata("B", "second upload"), Module(Counter + "\n// v2"))));
        Assert.Equal("version_upload", a["annotations"]!["workers/triggered_by"]!.GetValue<string>());
        Assert.Equal("A", a["annotations"]!["workers/tag"]!.GetValue<string>());
        Assert.Equal(2, a["number"]!.GetValue<int>());
        Assert.True(a["startup_time_ms"]!.GetValue<long>() >= 1);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", a["metadata"]!["created_on"]!.GetValue<string>());
        Assert.Equal(
            """[{"name":"CONF","type":"json","json":{"a":1}},{"name":"GREETING","type":"plain_text","text":"hello"},{"name":"COUNTER","type":"durable_object_namespace","class_name":"Counter"},{"name":"USERS","type":"service","service":"users","environment":"production","entrypoint":"Users"},{"name":"META","type":"version_metadata"}]""",
            a["resources"]!["bindings"]!.ToJsonString());

        var items = Result(await SendAsync(HttpMethod.Get, Scripts(worker) + "/versions?deployable=true"))["items"]!.AsArray();
        Assert.Equal([b["id"]!.GetValue<string>(), a["id"]!.GetValue<string>(), first], items.Select(i => i!["id"]!.GetValue<string>()));
        Assert.Equal("upload", items[2]!["annotations"]!["workers/triggered_by"]!.GetValue<string>());

        var body = new JsonObject
        {
            ["strategy"] = "percentage",
            ["versions"] = new JsonArray(
                new JsonObject { ["version_id"] = a["id"]!.GetValue<string>(), ["percentage"] = 20 },
                new JsonObject { ["version_id"] = b["id"]!.GetValue<string>(), ["percentage"] = 80 }),
            ["annotations"] = new JsonObject { ["workers/message"] = "split 20/80" },
            ["code_update_strategy"] = new JsonObject { ["mode"] = "deferred", ["max_delay"] = 300 },
        };
        var answer = await SendAsync(HttpMethod.Post, Scripts(worker) + "/deployments", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var deployment = Result(answer);
        Assert.Equal("""[{"version_id":"A","percentage":20},{"version_id":"B","percentage":80}]""".Replace("\"A\"", $"\"{a["id"]}\"").Replace("\"B\"", $"\"{b["id"]}\""), deployment["versions"]!.ToJsonString());
        Assert.Equal("""{"mode":"deferred","max_delay":300}""", deployment["code_update_strategy"]!.ToJsonString());

        var deployments = Result(await SendAsync(HttpMethod.Get, Scripts(worker) + "/deployments"))["deployments"]!.AsArray();
        Assert.Equal(2, deployments.Count);
        Assert.Equal(deployment["id"]!.GetValue<string>(), deployments[0]!["id"]!.GetValue<string>());
        Assert.Equal("Automatic deployment on upload.", deployments[1]!["annotations"]!["workers/message"]!.GetValue<string>());
        Assert.Equal("""{"mode":"deferred","max_delay":300}""", deployments[1]!["code_update_strategy"]!.ToJsonString());
        Assert.Equal(100, deployments[1]!["versions"]![0]!["percentage"]!.GetValue<int>());

        // The API's answers are the query API's: the same history the test helpers read.
        var history = await fixture.Cluster.Worker(worker).HistoryAsync();
        Assert.Equal(3, history!.Versions.Count);
        Assert.Equal(deployment["id"]!.GetValue<string>(), history.CurrentDeployment!.Id.ToString());
    }

    [Fact]
    public async Task Bad_input_gets_the_envelope_with_a_code_and_what_to_fix_and_changes_nothing()
    {
        var worker = ClusterFixture.NewWorkerName();
        await CreateAsync(worker);
        var before = await fixture.Cluster.Worker(worker).HistoryAsync();

        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/deployments", new StringContent("{\"versions\": [", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, ApiErrors.MalformedJson, "not valid JSON");
        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/deployments", new StringContent("""{"versions":[{"version_id":"nope","percentage":100}]}""", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, ApiErrors.InvalidRequest, "version_id");
        var noMetadata = new MultipartFormDataContent { { new StringContent(Counter), "index.js", "index.js" } };
        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", noMetadata), HttpStatusCode.BadRequest, ApiErrors.ScriptInvalid, "no 'metadata' part");
        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", Upload(Metadata(), ("other.js", Counter, "application/javascript+module"))), HttpStatusCode.BadRequest, ApiErrors.ScriptInvalid, "The main_module 'index.js' is not among the uploaded parts (other.js)");
        var unknown = Metadata();
        unknown["bindings"]!.AsArray().Add(new JsonObject { ["name"] = "X", ["type"] = "teleporter" });
        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", Upload(unknown, Module())), HttpStatusCode.BadRequest, ApiErrors.ScriptInvalid, "unknown type 'teleporter'");
        var kv = Metadata();
        kv["bindings"]!.AsArray().Add(new JsonObject { ["name"] = "KV", ["type"] = "kv_namespace", ["namespace_id"] = "0123" });
        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", Upload(kv, Module())), HttpStatusCode.BadRequest, ApiErrors.NotSimulated, "Binding 'KV' of type kv_namespace");
        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", Upload(Metadata(), Module(), ("data.wasm", "x", "application/wasm"))), HttpStatusCode.BadRequest, ApiErrors.NotSimulated, "Module 'data.wasm' (WebAssembly, wrangler's CompiledWasm rule) is not simulated by dosim");
        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", Upload(Metadata(), Module("export default {"))), HttpStatusCode.BadRequest, 10021, "");
        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", Upload(Metadata(), Module(new string('x', 70 * 1024))), expectContinue: true), HttpStatusCode.RequestEntityTooLarge, ApiErrors.BodyTooLarge, "--api-max-body");
        Refused(await SendAsync(HttpMethod.Get, $"/client/v4/accounts/acct/workers/scripts/{worker}/teleport"), HttpStatusCode.NotFound, ApiErrors.UnknownRoute, "No route for GET");
        Refused(await SendAsync(HttpMethod.Delete, Scripts(worker) + "/deployments"), HttpStatusCode.MethodNotAllowed, ApiErrors.MethodNotAllowed, "use GET or POST");
        Refused(await SendAsync(HttpMethod.Get, $"/client/v4/accounts/acct/workers/scripts/{ClusterFixture.NewWorkerName()}/deployments"), HttpStatusCode.NotFound, ApiErrors.WorkerNotFound, "does not exist");
        Refused(await SendAsync(HttpMethod.Get, Scripts(worker) + $"/versions/{Guid.NewGuid()}"), HttpStatusCode.NotFound, Core.RuleError.UnknownVersion, "has no version");
        Refused(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", Upload(Metadata(migrations: true) is var m && m["migrations"] is JsonObject mig ? SetTag(m, mig, "v2") : m, Module())), HttpStatusCode.BadRequest, Core.RuleError.MigrationsNeedFullDeploy, "pending migrations cannot be uploaded");

        var after = await fixture.Cluster.Worker(worker).HistoryAsync();
        Assert.Equal(before!.Versions, after!.Versions);
        Assert.Equal(before.Deployments, after.Deployments);
    }

    private static JsonObject SetTag(JsonObject metadata, JsonObject migrations, string tag)
    {
        migrations["new_tag"] = tag;
        return metadata;
    }

    [Fact]
    public async Task A_retried_upload_makes_one_version_and_a_new_upload_of_the_same_code_makes_another()
    {
        var worker = ClusterFixture.NewWorkerName();
        await CreateAsync(worker);
        var upload = Upload(Metadata("T"), Module());
        var bytes = await upload.ReadAsByteArrayAsync();
        async Task<string> SendBytesAsync()
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = upload.Headers.ContentType;
            return Result(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", content))["id"]!.GetValue<string>();
        }

        var first = await SendBytesAsync();
        Assert.Equal(first, await SendBytesAsync());
        var again = Result(await SendAsync(HttpMethod.Post, Scripts(worker) + "/versions", Upload(Metadata("T"), Module())))["id"]!.GetValue<string>();
        Assert.NotEqual(first, again);
        Assert.Equal(3, (await fixture.Cluster.Worker(worker).HistoryAsync())!.Versions.Count);
    }

    [Fact]
    public async Task Secret_values_never_leave_the_api_and_a_versioned_secret_is_uploaded_not_deployed()
    {
        var worker = ClusterFixture.NewWorkerName();
        await CreateAsync(worker);
        var put = new JsonObject { ["name"] = "API_KEY", ["text"] = "s3cret-value", ["type"] = "secret_text" };
        Result(await SendAsync(HttpMethod.Put, Scripts(worker) + "/secrets", new StringContent(put.ToJsonString(), Encoding.UTF8, "application/json")));
        Assert.Equal("""[{"name":"API_KEY","type":"secret_text"}]""", Result(await SendAsync(HttpMethod.Get, Scripts(worker) + "/secrets")).ToJsonString());

        var patch = new JsonObject { ["env"] = new JsonObject { ["OTHER"] = new JsonObject { ["type"] = "secret_text", ["text"] = "other-value" } }, ["annotations"] = new JsonObject { ["workers/message"] = "m", ["workers/tag"] = "with-other" } };
        var version = Result(await SendAsync(HttpMethod.Patch, $"/client/v4/accounts/acct/workers/workers/{worker}/versions/latest", new StringContent(patch.ToJsonString(), Encoding.UTF8, "application/merge-patch+json")));
        Assert.Equal("secret", version["annotations"]!["workers/triggered_by"]!.GetValue<string>());
        Assert.Equal("with-other", version["annotations"]!["workers/tag"]!.GetValue<string>());

        var everything = new List<string>
        {
            Result(await SendAsync(HttpMethod.Get, Scripts(worker) + "/versions")).ToJsonString(),
            Result(await SendAsync(HttpMethod.Get, Scripts(worker) + "/settings")).ToJsonString(),
            Result(await SendAsync(HttpMethod.Get, Scripts(worker) + "/deployments")).ToJsonString(),
        };
        Assert.All(everything, text => Assert.DoesNotContain("value", text, StringComparison.Ordinal));
        Assert.Contains("""{"name":"OTHER","type":"secret_text"}""", everything[0], StringComparison.Ordinal);
        var history = await fixture.Cluster.Worker(worker).HistoryAsync();
        Assert.Equal(3, history!.Versions.Count);
        Assert.NotEqual(history.Versions[^1].Id, history.CurrentDeployment!.Versions[0].VersionId);
    }

    [Fact]
    public async Task With_a_token_configured_a_request_without_it_gets_the_platforms_authentication_error()
    {
        var secured = await StartAsync(o => o.Token = "right-token");
        var worker = ClusterFixture.NewWorkerName();
        var path = $"/client/v4/accounts/acct/workers/services/{worker}";
        Refused(await SendAsync(HttpMethod.Get, path, baseUrl: secured, token: null), HttpStatusCode.Unauthorized, ApiErrors.Authentication, "Authentication error");
        Refused(await SendAsync(HttpMethod.Get, path, baseUrl: secured, token: "wrong-token"), HttpStatusCode.Unauthorized, ApiErrors.Authentication, "Authentication error");
        Refused(await SendAsync(HttpMethod.Get, path, baseUrl: secured, token: "right-token"), HttpStatusCode.NotFound, ApiErrors.WorkerNotFound, "does not exist");
    }

    [Fact]
    public async Task The_request_log_has_a_line_per_call_with_method_path_status_and_error_code()
    {
        var worker = ClusterFixture.NewWorkerName();
        await SendAsync(HttpMethod.Get, Scripts(worker) + "/deployments");
        // The line is written as the answer is sent: the client may read the answer first.
        var lines = await Core.Tests.Eventually.Until(
            "the request log's line for the call",
            TimeSpan.FromSeconds(10),
            async () => (await File.ReadAllLinesAsync(_log)).Select(l => JsonNode.Parse(l)!).Where(l => l["path"]!.GetValue<string>().Contains(worker, StringComparison.Ordinal)).ToList(),
            l => l.Count == 1);
        Assert.Equal("GET", lines[0]["method"]!.GetValue<string>());
        Assert.Equal(404, lines[0]["status"]!.GetValue<int>());
        Assert.Equal(ApiErrors.WorkerNotFound, lines[0]["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Worker_traffic_and_the_api_share_the_port_told_apart_by_host()
    {
        var worker = ClusterFixture.NewWorkerName();
        var first = await CreateAsync(worker);
        using var request = new HttpRequestMessage(HttpMethod.Get, _base + "/client/v4/foo");
        request.Headers.Host = $"{worker}.localhost";
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(first, answer["version"]!.GetValue<string>());
        Assert.Equal(1, answer["n"]!.GetValue<int>());
    }
}
