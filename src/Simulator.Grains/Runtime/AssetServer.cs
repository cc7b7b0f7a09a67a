using System.Collections.Concurrent;
using Simulator.Contracts;
using Simulator.Core.Assets;

namespace Simulator.Grains.Runtime;

/// <summary>
/// Serves a version's static assets: Core's <see cref="AssetRouter"/> picks the file, the content
/// comes from its <see cref="IAssetContentGrain"/> (kept here once read: content never changes under
/// its hash), with its content type and its hash as a strong ETag.
/// </summary>
internal static class AssetServer
{
    // Shared by the process's silos; bounded, so a large site cannot take the silo's memory.
    private static readonly ConcurrentDictionary<string, AssetContent> Cache = new(StringComparer.Ordinal);
    private const long MaxCachedBytes = 256L * 1024 * 1024;
    private static long _cachedBytes;

    /// <summary>
    /// What the request gets from the assets before the Worker runs: null when it matches none (or
    /// is not a GET or HEAD, or the Worker runs first for its path), so the Worker runs. A browser's
    /// navigation (<c>Sec-Fetch-Mode: navigate</c>) that matches nothing gets a single-page
    /// application's index.html, as the platform serves it.
    /// </summary>
    public static async Task<WorkerResponse?> TryServeAsync(IGrainFactory grains, AssetSet assets, WorkerRequest request)
    {
        if (request.Method is not ("GET" or "HEAD") || assets.RunWorkerFirst)
        {
            return null;
        }

        var path = PathOf(request);
        if (AssetRouter.WorkerFirst(assets, path))
        {
            return null;
        }

        var navigation = string.Equals(request.Header("Sec-Fetch-Mode"), "navigate", StringComparison.OrdinalIgnoreCase);
        var route = AssetRouter.Resolve(assets, path, notFound: navigation && assets.NotFoundHandling == NotFoundHandling.SinglePageApplication);
        return route.Kind == AssetRouteKind.None ? null : await AnswerAsync(grains, assets, request, route);
    }

    /// <summary>What the assets binding's <c>fetch(request)</c> answers: the asset, the not-found handling's page, or a 404.</summary>
    public static async Task<WorkerResponse> FetchAsync(IGrainFactory grains, AssetSet assets, WorkerRequest request)
    {
        if (request.Method is not ("GET" or "HEAD"))
        {
            return new WorkerResponse { Status = 405, Headers = [new("allow", "GET, HEAD")] };
        }

        var route = AssetRouter.Resolve(assets, PathOf(request), notFound: true);
        return route.Kind == AssetRouteKind.None ? new WorkerResponse { Status = 404 } : await AnswerAsync(grains, assets, request, route);
    }

    private static string PathOf(WorkerRequest request) =>
        Uri.TryCreate(request.Url, UriKind.Absolute, out var uri) ? Uri.UnescapeDataString(uri.AbsolutePath) : "/";

    private static async Task<WorkerResponse> AnswerAsync(IGrainFactory grains, AssetSet assets, WorkerRequest request, AssetRoute route)
    {
        if (route.Kind == AssetRouteKind.Redirect)
        {
            // The route's path is decoded; the header carries it escaped again, segment by segment.
            var query = Uri.TryCreate(request.Url, UriKind.Absolute, out var uri) ? uri.Query : string.Empty;
            var location = string.Join('/', route.Path!.Split('/').Select(Uri.EscapeDataString));
            return new WorkerResponse { Status = route.Status, Headers = [new("location", location + query)] };
        }

        var file = assets.Files[route.Path!];
        var etag = $"\"{file.Hash}\"";
        List<KeyValuePair<string, string>> headers = [new("etag", etag)];
        if (file.ContentType is { } type)
        {
            headers.Insert(0, new("content-type", type));
        }

        // A client that holds this content already gets a 304 (a 200 page only: a 404 page is sent whole).
        if (route.Status == 200 && request.Header("If-None-Match") is { } held
            && held.Split(',').Any(tag => tag.Trim() == etag || tag.Trim() == "W/" + etag || tag.Trim() == "*"))
        {
            return new WorkerResponse { Status = 304, Headers = [.. headers] };
        }

        return new WorkerResponse { Status = route.Status, Headers = [.. headers], Body = request.Method == "HEAD" ? [] : (await ReadAsync(grains, file.Hash)).Bytes };
    }

    private static async Task<AssetContent> ReadAsync(IGrainFactory grains, string hash)
    {
        if (Cache.TryGetValue(hash, out var cached))
        {
            return cached;
        }

        var content = await grains.GetGrain<IAssetContentGrain>(hash).Read()
            ?? throw new InvalidOperationException($"The content of asset {hash} is not in the cluster's storage: upload the version's assets again (wrangler deploy, or dosim deploy --config).");
        // Counted only if kept: a read that lost the race to another, or found the cache full, is not.
        if (Interlocked.Add(ref _cachedBytes, content.Bytes.Length) > MaxCachedBytes || !Cache.TryAdd(hash, content))
        {
            Interlocked.Add(ref _cachedBytes, -content.Bytes.Length);
        }

        return content;
    }
}
