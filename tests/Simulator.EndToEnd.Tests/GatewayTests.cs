using System.Net;
using System.Text;

namespace Simulator.EndToEnd.Tests;

/// <summary>One silo process for the class; each test uses its own worker.</summary>
public sealed class SiloFixture : IAsyncLifetime
{
    public SiloProcess Silo { get; private set; } = null!;

    public async Task InitializeAsync() => Silo = await SiloProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }
    }
}

public sealed class GatewayTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    private static readonly HttpClient Http = new();

    private async Task<HttpResponseMessage> Get(string worker, string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{fixture.Silo.HttpPort}{path}");
        request.Headers.Host = worker;
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await Http.SendAsync(request);
    }

    private async Task<string> Deploy(string name, string script, params string[] extra)
    {
        var result = await Run.CliAsync(fixture.Silo, ["deploy", "--name", name, "--script", script, .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Split('\n').Single(l => l.StartsWith("Current Version ID: ", StringComparison.Ordinal))[20..].Trim();
    }

    [Fact]
    public async Task A_worker_answers_with_the_diagnostic_headers_on_both_host_forms()
    {
        var version = await Deploy("gw-headers", "counter", "--tag", "A");
        foreach (var host in new[] { "gw-headers.localhost", "gw-headers.workers.dev" })
        {
            using var response = await Get(host, "/foo");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(version, response.Headers.GetValues("X-Simulator-Version-Id").Single());
            Assert.Equal("random", response.Headers.GetValues("X-Simulator-Version-Reason").Single());
            Assert.Equal(version, response.Headers.GetValues("X-Simulator-Durable-Object-Version-Id").Single());
            Assert.Equal("0", response.Headers.GetValues("X-Simulator-Durable-Object-Resets").Single());
        }

        using var keyed = await Get("gw-headers.localhost", "/", ("Cloudflare-Workers-Version-Key", "k"));
        Assert.Equal("version-key", keyed.Headers.GetValues("X-Simulator-Version-Reason").Single());
    }

    [Fact]
    public async Task What_can_go_wrong_gets_a_clear_status()
    {
        using (var unknown = await Get("nobody-here.localhost", "/"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Contains("There is no Worker named 'nobody-here'", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var notAWorker = await Get("example.com", "/"))
        {
            Assert.Equal(HttpStatusCode.NotFound, notAWorker.StatusCode);
            Assert.Contains("Send requests to <worker>.localhost", await notAWorker.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await Deploy("gw-failing", "hello", "--var", "SIM_ERROR_RATE=1");
        using (var failing = await Get("gw-failing.localhost", "/"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);
            Assert.StartsWith("Error: Simulated failure of version", await failing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await Deploy("gw-limits", "hello");
        var big = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{fixture.Silo.HttpPort}/") { Content = new ByteArrayContent(new byte[(1024 * 1024) + 1]) };
        big.Headers.Host = "gw-limits.localhost";

        // Wait for the server's go-ahead before sending the body: the gateway refuses it from its
        // Content-Length and closes, and a client still uploading would see a broken pipe instead.
        big.Headers.ExpectContinue = true;
        using (var tooBig = await Http.SendAsync(big))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        }

        using (var hugeHeader = await Get("gw-limits.localhost", "/", ("X-Big", new string('x', 40 * 1024))))
        {
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, hugeHeader.StatusCode);
        }

        var small = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{fixture.Silo.HttpPort}/") { Content = new StringContent("hi", Encoding.UTF8) };
        small.Headers.Host = "gw-limits.localhost";
        using var fine = await Http.SendAsync(small);
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }

    [Fact]
    public async Task The_cli_refuses_bad_input_with_one_line_and_an_exit_code()
    {
        await Deploy("gw-cli", "hello", "--tag", "A");
        var badPercent = await Run.CliAsync(fixture.Silo, "versions", "deploy", "--name", "gw-cli", "A@150%");
        Assert.Equal(1, badPercent.ExitCode);
        Assert.Equal("✘ Version", badPercent.Stderr.Trim().Split('\n').Single()[..9]);
        Assert.Contains("[code: 90003]", badPercent.Stderr, StringComparison.Ordinal);

        var badSpec = await Run.CliAsync(fixture.Silo, "versions", "deploy", "--name", "gw-cli", "A=20");
        Assert.Equal(2, badSpec.ExitCode);
        Assert.Contains("is not a version spec", badSpec.Stderr, StringComparison.Ordinal);

        var stale = await Run.CliAsync(fixture.Silo, "versions", "deploy", "--name", "gw-cli", "A@100%", "--expect", Guid.NewGuid().ToString());
        Assert.Equal(3, stale.ExitCode);
        Assert.Contains("[code: 90013]", stale.Stderr, StringComparison.Ordinal);

        var listing = await Run.CliAsync(fixture.Silo, "versions", "list", "--name", "gw-cli", "--json");
        Assert.Equal(0, listing.ExitCode);
        Assert.Single(System.Text.Json.JsonDocument.Parse(listing.Stdout).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task A_bad_worker_name_is_a_usage_error_that_states_the_naming_rule()
    {
        foreach (var name in new[] { "", "Bad_Name", "-x" })
        {
            var result = await Run.CliAsync(fixture.Silo, "deploy", "--name", name, "--script", "hello");
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("is not a valid Worker name: use 1 to 63 lowercase letters, digits and dashes", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("Orleans", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Request_resolves_an_override_tag_to_its_version_id()
    {
        await Deploy("gw-override", "hello", "--tag", "A");
        var upload = await Run.CliAsync(fixture.Silo, "versions", "upload", "--name", "gw-override", "--script", "hello", "--tag", "B");
        var b = upload.Stdout.Trim().Split(' ')[^1];
        Assert.Equal(0, (await Run.CliAsync(fixture.Silo, "versions", "deploy", "--name", "gw-override", "B@0%", "A@100%")).ExitCode);

        var request = await Run.CliAsync(fixture.Silo, "request", "--name", "gw-override", "--http", $"http://127.0.0.1:{fixture.Silo.HttpPort}", "--override", "B");
        Assert.True(request.ExitCode == 0, request.ToString());
        Assert.Contains($"X-Simulator-Version-Id: {b}", request.Stdout, StringComparison.Ordinal);
        Assert.Contains("X-Simulator-Version-Reason: override", request.Stdout, StringComparison.Ordinal);

        var unknown = await Run.CliAsync(fixture.Silo, "request", "--name", "gw-override", "--http", $"http://127.0.0.1:{fixture.Silo.HttpPort}", "--override", "nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("has no version with id or tag 'nope'", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_created_with_a_migration_shows_its_tag_and_rolls_out_gradually()
    {
        var a = await Deploy("gw-migrated", "counter", "--tag", "A", "--migration-tag", "v1");
        var pending = await Run.CliAsync(fixture.Silo, "versions", "upload", "--name", "gw-migrated", "--script", "counter", "--tag", "C", "--migration-tag", "v2");
        Assert.Equal(1, pending.ExitCode);
        Assert.Contains("[code: 10211]", pending.Stderr, StringComparison.Ordinal);

        var upload = await Run.CliAsync(fixture.Silo, "versions", "upload", "--name", "gw-migrated", "--script", "counter", "--tag", "B", "--migration-tag", "v1");
        Assert.True(upload.ExitCode == 0, upload.ToString());
        var split = await Run.CliAsync(fixture.Silo, "versions", "deploy", "--name", "gw-migrated", "B@20%", "A@80%");
        Assert.True(split.ExitCode == 0, split.ToString());

        var status = await Run.CliAsync(fixture.Silo, "deployments", "status", "--name", "gw-migrated");
        Assert.Contains("Migration tag:", status.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Migration tag:\s+v1", status.Stdout);
        var view = await Run.CliAsync(fixture.Silo, "versions", "view", a, "--name", "gw-migrated");
        Assert.Matches(@"Migration tag:\s+v1", view.Stdout);
        Assert.Matches(@"Durable Objects:\s+Counter", view.Stdout);

        // The same order again with a raised share: no warning. Reordered: a warning, on the real deploy too.
        var raised = await Run.CliAsync(fixture.Silo, "versions", "deploy", "--name", "gw-migrated", "B@50%", "A@50%");
        Assert.DoesNotContain("⚠", raised.Stdout, StringComparison.Ordinal);
        var reordered = await Run.CliAsync(fixture.Silo, "versions", "deploy", "--name", "gw-migrated", "A@50%", "B@50%");
        Assert.True(reordered.ExitCode == 0, reordered.ToString());
        Assert.Contains("⚠ Version", reordered.Stdout, StringComparison.Ordinal);
        Assert.Contains("different order", reordered.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cli_prints_the_platforms_objects_in_wranglers_order_and_labels()
    {
        const string name = "cli-shapes";
        var a = await Deploy(name, "counter", "--tag", "A");
        var upload = await Run.CliAsync(fixture.Silo, "versions", "upload", "--name", name, "--script", "counter", "--tag", "B", "--message", "second");
        var b = upload.Stdout.Trim().Split(' ')[^1];

        // A spec without a percentage gets the rest, as wrangler splits it.
        var split = await Run.CliAsync(fixture.Silo, "versions", "deploy", "--name", name, "B@20%", "A");
        Assert.True(split.ExitCode == 0, split.ToString());
        Assert.Contains($"Deployed {name} version(s): {b} at 20%, {a} at 80%", split.Stdout, StringComparison.Ordinal);

        // --json is the REST API's object, oldest first, with dosim's additions under "dosim".
        async Task<System.Text.Json.Nodes.JsonArray> Api(string resource, string key)
        {
            var text = await Http.GetStringAsync($"http://127.0.0.1:{fixture.Silo.HttpPort}/client/v4/accounts/any/workers/scripts/{name}/{resource}");
            var items = System.Text.Json.Nodes.JsonNode.Parse(text)!["result"]![key]!.AsArray();
            return new System.Text.Json.Nodes.JsonArray([.. items.Reverse().Select(i => i!.DeepClone())]);
        }

        var versions = System.Text.Json.Nodes.JsonNode.Parse((await Run.CliAsync(fixture.Silo, "versions", "list", "--name", name, "--json")).Stdout)!.AsArray();
        foreach (var version in versions)
        {
            Assert.NotNull(version!.AsObject().Remove("dosim") ? version : null);
        }

        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(await Api("versions", "items"), versions), versions.ToJsonString());
        var deployments = System.Text.Json.Nodes.JsonNode.Parse((await Run.CliAsync(fixture.Silo, "deployments", "list", "--name", name, "--json")).Stdout)!;
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(await Api("deployments", "deployments"), deployments), deployments.ToJsonString());

        var text = (await Run.CliAsync(fixture.Silo, "versions", "list", "--name", name)).Stdout;
        Assert.True(text.IndexOf($"Version ID:  {a}", StringComparison.Ordinal) < text.IndexOf($"Version ID:  {b}", StringComparison.Ordinal), text);
        Assert.Contains("Source:      Upload", text, StringComparison.Ordinal);
        Assert.Contains("Source:      Unknown (version_upload)", text, StringComparison.Ordinal);
        var listed = (await Run.CliAsync(fixture.Silo, "deployments", "list", "--name", name)).Stdout;
        Assert.Contains("Message:     Automatic deployment on upload.", listed, StringComparison.Ordinal);
        Assert.Contains($"Version(s):  (20%) {b}", listed, StringComparison.Ordinal);

        var rollback = await Run.CliAsync(fixture.Silo, "rollback", "--name", name);
        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        Assert.Contains($"Current Version ID: {a}", rollback.Stdout, StringComparison.Ordinal);
    }
}
