using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Simulator.Contracts;
using Simulator.Core.Assets;

namespace Simulator.Api;

/// <summary>
/// The platform's assets upload, as wrangler runs it before a deploy: a session for the Worker's
/// manifest (path → hash and size), answered with the hashes the cluster lacks in buckets and an
/// upload token; the buckets' content (multipart, one base64 part per hash, typed with its
/// content type); then, with nothing missing, a completion token that the version upload names in
/// its metadata (<c>assets.jwt</c>).
/// </summary>
public static class AssetEndpoints
{
    // Room a bucket's request keeps for its multipart framing: some for the request, some per part.
    private const long RequestFraming = 4096;
    private const long PartFraming = 256;

    public static async Task StartSession(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var workerName = call.WorkerName;
        var body = await call.JsonBodyAsync();
        if (body["manifest"] is not JsonObject manifest)
        {
            throw new ApiException(400, ApiErrors.InvalidRequest, "An assets upload session needs a 'manifest': { \"/index.html\": { \"hash\": \"…\", \"size\": 123 }, … }.");
        }

        var files = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (path, entry) in manifest)
        {
            if (!path.StartsWith('/') || entry is not JsonObject file || file["hash"] is not JsonValue hashValue || !hashValue.TryGetValue<string>(out var hash)
                || hash.Length == 0 || hash.Any(c => !char.IsAsciiLetterOrDigit(c)))
            {
                throw new ApiException(400, ApiErrors.InvalidRequest, $"Manifest entry '{path}' is not a path starting with '/' with a {{ \"hash\": <letters and digits>, \"size\": <bytes> }}.");
            }

            var size = file["size"] is JsonValue sizeValue && sizeValue.TryGetValue<long>(out var given) ? given : 0;
            if (size > AssetSet.MaxFileBytes)
            {
                throw new ApiException(400, ApiErrors.InvalidRequest, $"Asset too large: '{path}' is {size:N0} bytes; the platform's limit on one asset is 25 MiB.");
            }

            // wrangler sends a bucket as one request, base64: one file must fit the API's body limit.
            if (Base64Bytes(size) + PartFraming > call.Options.MaxBodyBytes - RequestFraming)
            {
                throw new ApiException(413, ApiErrors.BodyTooLarge, $"Asset '{path}' ({size:N0} bytes, {Base64Bytes(size):N0} as wrangler uploads it) does not fit the API's body limit of {call.Options.MaxBodyBytes:N0} bytes: start the silo with a larger --api-max-body.");
            }

            files[path] = hash;
            sizes[hash] = size;
        }

        var session = Guid.NewGuid().ToString("N");
        var missing = await call.Grains.GetGrain<IAssetUploadGrain>(session).Start(workerName, files.ToImmutable());
        var buckets = new JsonArray([.. Buckets(missing, sizes, call.Options.MaxBodyBytes - RequestFraming).Select(b => (JsonNode?)new JsonArray([.. b.Select(h => (JsonNode?)h)]))]);
        await ApiJson.Success(call.Context, new JsonObject
        {
            ["jwt"] = AssetTokens.Make(session, missing.IsEmpty ? AssetTokens.Complete : AssetTokens.Upload),
            ["buckets"] = buckets,
        });
    }

    private static long Base64Bytes(long size) => (size + 2) / 3 * 4;

    // Hashes in buckets whose base64 content fits one request each.
    private static IEnumerable<List<string>> Buckets(ImmutableArray<string> hashes, Dictionary<string, long> sizes, long limit)
    {
        var bucket = new List<string>();
        long filled = 0;
        foreach (var hash in hashes)
        {
            var bytes = Base64Bytes(sizes[hash]) + PartFraming;
            if (bucket.Count > 0 && filled + bytes > limit)
            {
                yield return bucket;
                (bucket, filled) = ([], 0);
            }

            bucket.Add(hash);
            filled += bytes;
        }

        if (bucket.Count > 0)
        {
            yield return bucket;
        }
    }

    public static async Task Upload(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var authorization = call.Context.Request.Headers.Authorization.ToString();
        var session = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? AssetTokens.Session(authorization["Bearer ".Length..], AssetTokens.Upload) : null;
        if (session is null)
        {
            throw new ApiException(401, ApiErrors.Authentication, "An assets upload needs the upload token of its session as 'Authorization: Bearer <jwt>' (POST …/assets-upload-session gives it).");
        }

        var base64 = call.Context.Request.Query["base64"] == "true";
        var contentType = call.Context.Request.ContentType;
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media) || HeaderUtilities.RemoveQuotes(media.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw new ApiException(400, ApiErrors.InvalidRequest, "An assets upload is multipart/form-data: one part per file, named by its hash.");
        }

        // Only what the session waits for is stored: a token names its session, and the session its files.
        var upload = call.Grains.GetGrain<IAssetUploadGrain>(session);
        var awaited = await upload.Missing()
            ?? throw new ApiException(401, ApiErrors.Authentication, "This upload token names no assets upload session of this cluster (a silo restart loses sessions): run wrangler deploy again.");
        var received = new List<string>();
        var reader = new MultipartReader(boundary, new MemoryStream(await call.BodyAsync()));
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || HeaderUtilities.RemoveQuotes(disposition.Name).Value is not { Length: > 0 } hash)
            {
                throw new ApiException(400, ApiErrors.InvalidRequest, "Each part of an assets upload is named by the hash of its file.");
            }

            using var buffer = new MemoryStream();
            await section.Body.CopyToAsync(buffer);
            byte[] bytes;
            try
            {
                bytes = base64 ? Convert.FromBase64String(Encoding.ASCII.GetString(buffer.ToArray())) : buffer.ToArray();
            }
            catch (FormatException)
            {
                throw new ApiException(400, ApiErrors.InvalidRequest, $"The part for '{hash}' is not base64 (the upload says base64=true).");
            }

            if (!awaited.Contains(hash))
            {
                throw new ApiException(400, ApiErrors.InvalidRequest, $"The upload's part '{hash}' is not a file this session waits for: upload the hashes its buckets name.");
            }

            if (bytes.Length > AssetSet.MaxFileBytes)
            {
                throw new ApiException(400, ApiErrors.InvalidRequest, $"Asset too large: the part '{hash}' is {bytes.Length:N0} bytes; the platform's limit on one asset is 25 MiB.");
            }

            // wrangler sends "application/null" for a file it knows no type of: served with none.
            var type = section.ContentType is null or "application/null" ? null : section.ContentType;
            await call.Grains.GetGrain<IAssetContentGrain>(hash).Put(new AssetContent(bytes, type));
            received.Add(hash);
        }

        var complete = await upload.Received([.. received]);
        await ApiJson.Success(call.Context, complete ? new JsonObject { ["jwt"] = AssetTokens.Make(session, AssetTokens.Complete) } : []);
    }

    /// <summary>The files a version upload's completion token names, or the error that says why there are none.</summary>
    internal static async Task<ImmutableSortedDictionary<string, AssetFile>> FilesAsync(IGrainFactory grains, string workerName, string token) =>
        AssetTokens.Session(token, AssetTokens.Complete) is { } session && await grains.GetGrain<IAssetUploadGrain>(session).Files(workerName) is { } files
            ? files
            : throw new ApiException(400, ApiErrors.ScriptInvalid, "The upload's assets token is not the completion token of an assets upload session this cluster has finished for this Worker (a silo restart loses sessions): run wrangler deploy again, which uploads the assets first.");
}

/// <summary>
/// The tokens of an assets upload session, shaped as the platform's JWTs (wrangler reads their
/// payload: its expiry, its upload mode), valid for an hour. Not signed: the session id (128
/// random bits, made by an authenticated call) is the secret, and a session stores only the
/// hashes its own manifest lacks.
/// </summary>
internal static class AssetTokens
{
    public const string Upload = "upload";
    public const string Complete = "complete";

    public static string Make(string session, string kind)
    {
        var payload = JsonSerializer.Serialize(new Dictionary<string, object> { ["session"] = session, ["kind"] = kind, ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds() });
        return $"{Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{Base64Url(payload)}.dosim";
    }

    /// <summary>The session a token of this kind names; null when it is not one.</summary>
    public static string? Session(string token, string kind)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64UrlTextEncoder.Decode(parts[1]));
            var root = payload.RootElement;
            return root.TryGetProperty("kind", out var k) && k.GetString() == kind
                && root.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var expires) && expires > DateTimeOffset.UtcNow.ToUnixTimeSeconds()
                && root.TryGetProperty("session", out var s) ? s.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return null;
        }
    }

    private static string Base64Url(string text) => Base64UrlTextEncoder.Encode(Encoding.UTF8.GetBytes(text));
}
