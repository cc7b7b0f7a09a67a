using System.Collections.Immutable;
using System.Text;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Core.Assets;
using Simulator.Testing;
using Simulator.Workers;

namespace Simulator.Grains.Tests;

/// <summary>A version's static assets: served before its Worker, per version, with the platform's routing, types, ETags and the assets binding.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AssetTests(ClusterFixture fixture)
{
    private const string Config = """
        name = "site"
        main = "index.js"
        [assets]
        directory = "./public"
        binding = "ASSETS"
        not_found_handling = "single-page-application"
        run_worker_first = ["/api/*"]
        """;

    // The Worker answers what no asset does, and reads assets through its binding.
    private const string Worker = """
        export default {
          async fetch(request, env) {
            const url = new URL(request.url);
            if (url.pathname === "/api/page") {
              const page = await env.ASSETS.fetch(new Request(new URL("/missing/route", url)));
              return new Response(`${page.status} ${(await page.text()).trim()}`);
            }
            if (url.pathname === "/api/post") return env.ASSETS.fetch(new Request(url, { method: "POST", body: "x" }));
            return new Response(`worker ${url.pathname}`);
          },
        };
        """;

    private static VersionDraft Draft(string tag, string page) =>
        WorkerProject.From([new WorkerModule("index.js", Worker)], WranglerConfig.Parse(Config, "toml"))
            .WithAssets(
                new Dictionary<string, byte[]>
                {
                    ["/index.html"] = Encoding.UTF8.GetBytes($"<h1>{page}</h1>"),
                    ["/about.html"] = Encoding.UTF8.GetBytes("about"),
                    ["/app.js"] = Encoding.UTF8.GetBytes("console.log(1)"),
                    ["/data.unknownext"] = [1, 2, 3],
                },
                WranglerConfig.Parse(Config, "toml").Assets()!.Value.Settings)
            .Draft(tag);

    private async Task<WorkerHandle> Deploy()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(Draft("A", "version A"));
        return worker;
    }

    private static string? Header(InvocationResult result, string name) => result.Response.Headers.FirstOrDefault(h => h.Key == name).Value;

    [Fact]
    public async Task Assets_are_served_before_the_worker_with_their_content_types_and_the_worker_answers_the_rest()
    {
        var worker = await Deploy();

        var index = await worker.FetchAsync("/");
        var about = await worker.FetchAsync("/about");
        var script = await worker.FetchAsync("/app.js");
        var binary = await worker.FetchAsync("/data.unknownext");
        var redirect = await worker.FetchAsync("/about.html?x=1");
        var other = await worker.FetchAsync("/other");
        var api = await worker.FetchAsync("/api/thing");

        Assert.Equal("<h1>version A</h1>", index.Response.Text);
        Assert.Equal("text/html; charset=utf-8", Header(index, "content-type"));
        Assert.Equal("about", about.Response.Text);
        Assert.Equal("text/javascript; charset=utf-8", Header(script, "content-type"));
        Assert.Null(Header(binary, "content-type"));
        Assert.Equal([1, 2, 3], binary.Response.Body);
        Assert.Equal(307, redirect.Response.Status);
        Assert.Equal("/about?x=1", Header(redirect, "location"));
        Assert.Equal("worker /other", other.Response.Text);
        Assert.Equal("worker /api/thing", api.Response.Text);

        // An asset's request does not invoke the Worker.
        var analytics = await worker.AnalyticsAsync();
        Assert.Equal(2, analytics.Deployments.Sum(d => d.Requests));
    }

    [Fact]
    public async Task An_etag_the_client_holds_gets_a_304_and_a_navigation_of_a_single_page_application_gets_its_index()
    {
        var worker = await Deploy();
        var first = await worker.FetchAsync("/app.js");
        var etag = Header(first, "etag")!;

        var again = await worker.FetchAsync("/app.js", ("If-None-Match", etag));
        var navigation = await worker.FetchAsync("/some/route", ("Sec-Fetch-Mode", "navigate"));
        var fetchFromCode = await worker.FetchAsync("/some/route");

        Assert.Matches("^\"[0-9a-f]{32}\"$", etag);
        Assert.Equal(304, again.Response.Status);
        Assert.Empty(again.Response.Body);
        Assert.Equal("<h1>version A</h1>", navigation.Response.Text);
        Assert.Equal("worker /some/route", fetchFromCode.Response.Text);
    }

    [Fact]
    public async Task The_assets_binding_applies_the_not_found_handling_and_refuses_what_is_not_a_get()
    {
        var worker = await Deploy();

        Assert.Equal("200 <h1>version A</h1>", (await worker.FetchAsync("/api/page")).Response.Text);
        Assert.Equal(405, (await worker.FetchAsync("/api/post")).Response.Status);
    }

    [Fact]
    public async Task A_split_deployment_serves_each_versions_own_page_and_the_version_key_keeps_a_user_on_one()
    {
        var worker = await Deploy();
        var a = (await worker.HistoryAsync()).CurrentDeployment!.Versions[0].VersionId;
        var b = await worker.UploadAsync(Draft("B", "version B"));
        await worker.DeployVersionsAsync((a, 50), (b.Id, 50));

        var pages = new HashSet<string>();
        for (var i = 0; i < 40; i++)
        {
            pages.Add((await worker.FetchAsync("/")).Response.Text);
        }

        var keyed = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            keyed.Add((await worker.FetchAsync("/", ("Cloudflare-Workers-Version-Key", "user-7"))).Response.Text);
        }

        Assert.Equal(["<h1>version A</h1>", "<h1>version B</h1>"], pages.Order());
        Assert.Single(keyed);
        var byOverride = await worker.FetchAsync("/", ("Cloudflare-Workers-Version-Overrides", $"{worker.Name}=\"{b.Id}\""));
        Assert.Equal("<h1>version B</h1>", byOverride.Response.Text);
        Assert.Equal(b.Id, byOverride.VersionId);
    }

    [Fact]
    public async Task A_version_naming_content_that_was_never_uploaded_is_refused()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var draft = Draft("A", "never stored");
        var refused = await Assert.ThrowsAsync<RuleRefusedException>(() => worker.DeployAsync(draft with { AssetContents = ImmutableDictionary<string, AssetContent>.Empty.Add("x", new AssetContent([], null)) }));
        Assert.Contains("whose content was never uploaded", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[assets]\ndirectory = \"./p\"\nhtml_handling = \"force-trailing-slash\"", "not simulated by dosim")]
    [InlineData("[assets]\ndirectory = \"./p\"\nnot_found_handling = \"spa\"", "use 'none' (the default), '404-page' or 'single-page-application'")]
    [InlineData("[assets]\nbinding = \"ASSETS\"", "assets needs a directory")]
    [InlineData("[assets]\ndirectory = \"./p\"\nrun_worker_first = [\"api\"]", "a list of routes")]
    public void An_assets_configuration_dosim_cannot_serve_is_refused_with_what_to_fix(string config, string expected)
    {
        var error = Assert.Throws<WorkerProjectException>(() => WranglerConfig.Parse(config, "toml").Assets());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
