using System.Collections.Immutable;

namespace Simulator.Core.Assets;

/// <summary>One static asset: its content's hash (where the content is stored) and the content type it is served with (null: none).</summary>
public sealed record AssetFile(string Hash, string? ContentType);

/// <summary>How a request's path finds an HTML file (wrangler's <c>assets.html_handling</c>).</summary>
public enum HtmlHandling
{
    /// <summary><c>auto-trailing-slash</c>, the default: /about serves about.html, /blog/ serves blog/index.html, and the other spellings redirect to those.</summary>
    AutoTrailingSlash,

    /// <summary><c>none</c>: a path serves only the file of exactly that name.</summary>
    None,
}

/// <summary>What a request that matches no asset gets (wrangler's <c>assets.not_found_handling</c>).</summary>
public enum NotFoundHandling
{
    /// <summary><c>none</c>, the default: the Worker runs, or without one a 404 with no body.</summary>
    None,

    /// <summary><c>404-page</c>: the nearest 404.html up the path, with status 404.</summary>
    NotFoundPage,

    /// <summary><c>single-page-application</c>: /index.html with status 200.</summary>
    SinglePageApplication,
}

/// <summary>
/// A version's static assets, as its configuration and upload give them: each file by its path
/// ("/index.html"), how requests find them, and the binding the Worker reaches them through.
/// Assets are part of the version: another version has its own set.
/// </summary>
public sealed record AssetSet
{
    /// <summary>Path (starting with '/', as the upload manifest names it) → file.</summary>
    public required ImmutableSortedDictionary<string, AssetFile> Files { get; init; }

    /// <summary>The name the Worker's code reaches the assets by (<c>env.ASSETS</c>); null when it has none.</summary>
    public string? Binding { get; init; }

    public HtmlHandling HtmlHandling { get; init; }

    public NotFoundHandling NotFoundHandling { get; init; }

    /// <summary>Whether the Worker runs before assets for every request (<c>run_worker_first = true</c>).</summary>
    public bool RunWorkerFirst { get; init; }

    /// <summary>Route patterns the Worker runs first for (<c>run_worker_first = ["/api/*", "!/api/docs"]</c>).</summary>
    public ImmutableArray<string> RunWorkerFirstRoutes { get; init; } = [];

    public bool Equals(AssetSet? other) =>
        other is not null && Binding == other.Binding && HtmlHandling == other.HtmlHandling && NotFoundHandling == other.NotFoundHandling
        && RunWorkerFirst == other.RunWorkerFirst && RunWorkerFirstRoutes.SequenceEqual(other.RunWorkerFirstRoutes) && Files.SequenceEqual(other.Files);

    public override int GetHashCode() => HashCode.Combine(Files.Count, Binding, HtmlHandling, NotFoundHandling, RunWorkerFirst);

    /// <summary>The platform's limit on one asset.</summary>
    public const long MaxFileBytes = 25L * 1024 * 1024;

    /// <summary>
    /// The serving settings as a configuration (or an upload's <c>assets.config</c>) spells them,
    /// with no files yet; or why they cannot be: the error names the setting and the values it takes.
    /// </summary>
    public static (AssetSet? Settings, string? Error) FromConfig(string? binding, string? htmlHandling, string? notFoundHandling, bool? runWorkerFirst, IReadOnlyList<string>? runWorkerFirstRoutes)
    {
        if (ParseHtmlHandling(htmlHandling) is not { } html)
        {
            return (null, $"assets html_handling '{htmlHandling}' is not one dosim takes: use {HtmlHandlingValues}.");
        }

        if (ParseNotFoundHandling(notFoundHandling) is not { } notFound)
        {
            return (null, $"assets not_found_handling '{notFoundHandling}' is not one the platform has: use {NotFoundHandlingValues}.");
        }

        if (runWorkerFirstRoutes?.FirstOrDefault(r => !r.StartsWith('/') && !r.StartsWith("!/", StringComparison.Ordinal)) is { } route)
        {
            return (null, $"assets run_worker_first is true, false or a list of routes such as [\"/api/*\", \"!/api/docs\"] ('{route}' is not a route: start it with / or !/).");
        }

        return (new AssetSet
        {
            Files = ImmutableSortedDictionary<string, AssetFile>.Empty,
            Binding = binding,
            HtmlHandling = html,
            NotFoundHandling = notFound,
            RunWorkerFirst = runWorkerFirst ?? false,
            RunWorkerFirstRoutes = runWorkerFirstRoutes is null ? [] : [.. runWorkerFirstRoutes],
        }, null);
    }

    /// <summary>The configuration's spelling of an html_handling; null when it is not one dosim simulates.</summary>
    public static HtmlHandling? ParseHtmlHandling(string? text) => text switch
    {
        null or "auto-trailing-slash" => HtmlHandling.AutoTrailingSlash,
        "none" => HtmlHandling.None,
        _ => null,
    };

    /// <summary>The configuration's spelling of a not_found_handling; null when it is not one.</summary>
    public static NotFoundHandling? ParseNotFoundHandling(string? text) => text switch
    {
        null or "none" => NotFoundHandling.None,
        "404-page" => NotFoundHandling.NotFoundPage,
        "single-page-application" => NotFoundHandling.SinglePageApplication,
        _ => null,
    };

    /// <summary>Why this html_handling cannot be used, for an error message; the values dosim takes.</summary>
    public const string HtmlHandlingValues = "'auto-trailing-slash' (the default) or 'none' ('force-trailing-slash' and 'drop-trailing-slash' are not simulated by dosim)";

    public const string NotFoundHandlingValues = "'none' (the default), '404-page' or 'single-page-application'";
}
