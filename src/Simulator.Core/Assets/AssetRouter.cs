namespace Simulator.Core.Assets;

/// <summary>What a request's path gets from a version's assets.</summary>
public readonly record struct AssetRoute(AssetRouteKind Kind, string? Path, int Status)
{
    public static AssetRoute Serve(string path, int status = 200) => new(AssetRouteKind.Serve, path, status);

    public static AssetRoute Redirect(string location) => new(AssetRouteKind.Redirect, location, 307);

    public static readonly AssetRoute None = new(AssetRouteKind.None, null, 404);
}

public enum AssetRouteKind
{
    /// <summary>The file at <see cref="AssetRoute.Path"/> is the answer, with <see cref="AssetRoute.Status"/>.</summary>
    Serve,

    /// <summary>A 307 to <see cref="AssetRoute.Path"/>: the canonical spelling of an HTML file's path.</summary>
    Redirect,

    /// <summary>No asset: the Worker runs (or, without one, a 404).</summary>
    None,
}

/// <summary>
/// The platform's rules for static assets, as its docs give them ("Routing", "HTML handling",
/// "Not found handling"): which file a path serves, the redirects that make HTML paths canonical,
/// and what a path that matches nothing gets.
/// </summary>
public static class AssetRouter
{
    /// <summary>
    /// The route for a request path (decoded, starting with '/'). <paramref name="notFound"/> applies
    /// <see cref="AssetSet.NotFoundHandling"/> to a path that matches nothing (as without a Worker,
    /// and for the assets binding); without it such a path is <see cref="AssetRoute.None"/>.
    /// </summary>
    public static AssetRoute Resolve(AssetSet assets, string path, bool notFound)
    {
        ArgumentNullException.ThrowIfNull(assets);
        ArgumentNullException.ThrowIfNull(path);
        var exact = assets.HtmlHandling == HtmlHandling.None ? Exact(assets, path) : AutoTrailingSlash(assets, path);
        if (exact.Kind != AssetRouteKind.None || !notFound)
        {
            return exact;
        }

        return assets.NotFoundHandling switch
        {
            NotFoundHandling.SinglePageApplication when assets.Files.ContainsKey("/index.html") => AssetRoute.Serve("/index.html"),
            NotFoundHandling.NotFoundPage when NearestNotFoundPage(assets, path) is { } page => AssetRoute.Serve(page, 404),
            _ => AssetRoute.None,
        };
    }

    /// <summary>Whether the Worker runs before assets for this path (<c>run_worker_first</c>, true or route patterns with '!' exclusions).</summary>
    public static bool WorkerFirst(AssetSet assets, string path)
    {
        ArgumentNullException.ThrowIfNull(assets);
        if (assets.RunWorkerFirst)
        {
            return true;
        }

        var included = false;
        foreach (var pattern in assets.RunWorkerFirstRoutes)
        {
            if (pattern.StartsWith('!'))
            {
                if (Matches(pattern.AsSpan(1), path))
                {
                    return false;
                }
            }
            else if (Matches(pattern, path))
            {
                included = true;
            }
        }

        return included;
    }

    // A route pattern: '*' matches any run of characters (slashes too), as the platform's do. One
    // pass with backtracking to the last star: no allocation, linear for one star.
    private static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> path)
    {
        var (p, s, star, mark) = (0, 0, -1, 0);
        while (s < path.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                (star, mark) = (p++, s);
            }
            else if (p < pattern.Length && pattern[p] == path[s])
            {
                (p, s) = (p + 1, s + 1);
            }
            else if (star >= 0)
            {
                (p, s) = (star + 1, ++mark);
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static AssetRoute Exact(AssetSet assets, string path) =>
        assets.Files.ContainsKey(path) ? AssetRoute.Serve(path) : AssetRoute.None;

    // auto-trailing-slash: a file is served at /name for name.html and at /dir/ for dir/index.html;
    // the other spellings of those paths redirect to them.
    private static AssetRoute AutoTrailingSlash(AssetSet assets, string path)
    {
        bool Has(string file) => assets.Files.ContainsKey(file);

        if (path.EndsWith("/index.html", StringComparison.Ordinal) && Has(path))
        {
            return AssetRoute.Redirect(path[..^"index.html".Length]);
        }

        if (path.EndsWith(".html", StringComparison.Ordinal) && Has(path))
        {
            var bare = path[..^".html".Length];
            // /about.html redirects to /about, unless /about/index.html would then be served there
            // (or the name is only the extension: /.html).
            return bare.EndsWith('/') || Has(bare + "/index.html") ? AssetRoute.Serve(path) : AssetRoute.Redirect(bare);
        }

        if (path.EndsWith('/'))
        {
            if (Has(path + "index.html"))
            {
                return AssetRoute.Serve(path + "index.html");
            }

            var trimmed = path.TrimEnd('/');
            if (trimmed.Length > 0 && Has(trimmed + ".html"))
            {
                return AssetRoute.Redirect(trimmed);
            }

            return Has(path) ? AssetRoute.Serve(path) : AssetRoute.None;
        }

        if (Has(path))
        {
            return AssetRoute.Serve(path);
        }

        if (Has(path + ".html"))
        {
            return AssetRoute.Serve(path + ".html");
        }

        return Has(path + "/index.html") ? AssetRoute.Redirect(path + "/") : AssetRoute.None;
    }

    // The 404.html of the path's folder, or of the nearest folder above it.
    private static string? NearestNotFoundPage(AssetSet assets, string path)
    {
        var folder = path[..(path.LastIndexOf('/') + 1)];
        while (folder.Length > 0)
        {
            var page = folder + "404.html";
            if (assets.Files.ContainsKey(page))
            {
                return page;
            }

            var parent = folder.TrimEnd('/');
            folder = parent[..(parent.LastIndexOf('/') + 1)];
        }

        return null;
    }
}
