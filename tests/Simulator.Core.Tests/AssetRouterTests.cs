using System.Collections.Immutable;
using CsCheck;
using Simulator.Core.Assets;

namespace Simulator.Core.Tests;

public sealed class AssetRouterTests
{
    private static AssetSet Site(params string[] paths) => new()
    {
        Files = paths.ToImmutableSortedDictionary(p => p, p => new AssetFile("h" + p.Length, null), StringComparer.Ordinal),
    };

    private static readonly AssetSet Blog = Site("/index.html", "/about.html", "/blog/index.html", "/blog/post.html", "/app.js", "/docs/404.html", "/404.html", "/both.html", "/both/index.html");

    [Theory]
    [InlineData("/", "serve /index.html")]
    [InlineData("/about", "serve /about.html")]
    [InlineData("/about.html", "redirect /about")]
    [InlineData("/about/", "redirect /about")]
    [InlineData("/blog/", "serve /blog/index.html")]
    [InlineData("/blog", "redirect /blog/")]
    [InlineData("/blog/index.html", "redirect /blog/")]
    [InlineData("/index.html", "redirect /")]
    [InlineData("/blog/post", "serve /blog/post.html")]
    [InlineData("/app.js", "serve /app.js")]
    [InlineData("/both", "serve /both.html")]
    [InlineData("/both/", "serve /both/index.html")]
    [InlineData("/both.html", "serve /both.html")]
    [InlineData("/nothing", "none")]
    public void Auto_trailing_slash_serves_html_files_at_their_canonical_paths_and_redirects_the_other_spellings(string path, string expected) =>
        Assert.Equal(expected, Show(AssetRouter.Resolve(Blog, path, notFound: false)));

    [Fact]
    public void With_html_handling_none_a_path_serves_only_the_file_of_that_name() =>
        Assert.Equal(
            ["serve /about.html", "none", "none"],
            new[] { "/about.html", "/about", "/blog/" }.Select(p => Show(AssetRouter.Resolve(Blog with { HtmlHandling = HtmlHandling.None }, p, notFound: false))));

    [Fact]
    public void Not_found_handling_gives_the_index_of_a_single_page_application_or_the_nearest_404_page()
    {
        var spa = Blog with { NotFoundHandling = NotFoundHandling.SinglePageApplication };
        var pages = Blog with { NotFoundHandling = NotFoundHandling.NotFoundPage };
        Assert.Equal("serve /index.html 200", Show(AssetRouter.Resolve(spa, "/route/in/app", notFound: true), status: true));
        Assert.Equal("serve /docs/404.html 404", Show(AssetRouter.Resolve(pages, "/docs/a/b", notFound: true), status: true));
        Assert.Equal("serve /404.html 404", Show(AssetRouter.Resolve(pages, "/elsewhere", notFound: true), status: true));
        Assert.Equal("none", Show(AssetRouter.Resolve(Blog, "/elsewhere", notFound: true)));
        Assert.Equal("none", Show(AssetRouter.Resolve(spa, "/route/in/app", notFound: false)));
    }

    [Fact]
    public void Run_worker_first_routes_include_with_a_pattern_and_exclude_with_a_bang()
    {
        var assets = Blog with { RunWorkerFirstRoutes = ["/api/*", "!/api/docs/*", "/exact"] };
        Assert.True(AssetRouter.WorkerFirst(assets, "/api/users/1"));
        Assert.False(AssetRouter.WorkerFirst(assets, "/api/docs/intro"));
        Assert.True(AssetRouter.WorkerFirst(assets, "/exact"));
        Assert.False(AssetRouter.WorkerFirst(assets, "/exact/more"));
        Assert.False(AssetRouter.WorkerFirst(assets, "/about"));
        Assert.True(AssetRouter.WorkerFirst(Blog with { RunWorkerFirst = true }, "/about"));
    }

    private static readonly Gen<string> Segment = Gen.OneOfConst("a", "b", "index", "404", "x.y");
    private static readonly Gen<string> AnyPath = Gen.Select(Segment.Array[0, 3], Gen.OneOfConst("", "/", ".html", "/index.html"), (s, end) => "/" + string.Join('/', s) + end);
    private static readonly Gen<AssetSet> AnySite = Gen.Select(AnyPath.Array[0, 8], Gen.Bool, Gen.Int[0, 2], (paths, none, notFound) =>
        Site([.. paths.Where(p => !p.EndsWith('/')).Distinct()]) with { HtmlHandling = none ? HtmlHandling.None : HtmlHandling.AutoTrailingSlash, NotFoundHandling = (NotFoundHandling)notFound });

    [Fact]
    public void A_path_serves_only_a_file_the_version_has_and_a_redirect_leads_to_a_file_in_one_step() =>
        Gen.Select(AnySite, AnyPath, Gen.Bool).Sample((site, path, notFound) =>
        {
            var route = AssetRouter.Resolve(site, path, notFound);
            if (route.Kind == AssetRouteKind.Serve)
            {
                Assert.True(site.Files.ContainsKey(route.Path!), $"{path} served {route.Path}, which the version does not have");
            }
            else if (route.Kind == AssetRouteKind.Redirect)
            {
                Assert.NotEqual(path, route.Path);
                Assert.Equal(AssetRouteKind.Serve, AssetRouter.Resolve(site, route.Path!, notFound: false).Kind);
            }
        });

    private static string Show(AssetRoute route, bool status = false) => route.Kind switch
    {
        AssetRouteKind.Serve => $"serve {route.Path}{(status ? $" {route.Status}" : string.Empty)}",
        AssetRouteKind.Redirect => $"redirect {route.Path}",
        _ => "none",
    };
}
