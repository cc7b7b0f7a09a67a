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
    // The platform's limits on one asset, and on how many files a bucket (one upload request) holds.
    private const long MaxAssetBytes = 25L * 1024 * 1024;
    private const int BucketFiles = 20;

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
        foreach (var (path, entry) in manifest)
        {
            if (!path.StartsWith('/') || entry is not JsonObject file || file["hash"] is not JsonValue hashValue || !hashValue.TryGetValue<string>(out var hash)
                || hash.Length == 0 || hash.Any(c => !char.IsAsciiLetterOrDigit(c)))
            {
                throw new ApiException(400, ApiErrors.InvalidRequest, $"Manifest entry '{path}' is not a path starting with '/' with a {{ \"hash\": <letters and digits>, \"size\": <bytes> }}.");
            }

            if (file["size"] is JsonValue sizeValue && sizeValue.TryGetValue<long>(out var size) && size > MaxAssetBytes)
            {
                throw new ApiException(400, ApiErrors.InvalidRequest, $"Asset too large: '{path}' is {size:N0} bytes; the platform's limit on one asset is 25 MiB.");
            }

            files[path] = hash;
        }

        var session = Guid.NewGuid().ToString("N");
        var missing = await call.Grains.GetGrain<IAssetUploadGrain>(session).Start(workerName, files.ToImmutable());
        var buckets = new JsonArray([.. missing.Chunk(BucketFiles).Select(b => (JsonNode?)new JsonArray([.. b.Select(h => (JsonNode?)h)]))]);
        await ApiJson.Success(call.Context, new JsonObject
        {
            ["jwt"] = AssetTokens.Make(session, missing.IsEmpty ? AssetTokens.Complete : AssetTokens.Upload),
            ["buckets"] = buckets,
        });
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

            // wrangler sends "application/null" for a file it knows no type of: served with none.
            var type = section.ContentType is null or "application/null" ? null : section.ContentType;
            await call.Grains.GetGrain<IAssetContentGrain>(hash).Put(new AssetContent(bytes, type));
            received.Add(hash);
        }

        var complete = await call.Grains.GetGrain<IAssetUploadGrain>(session).Received([.. received]);
        await ApiJson.Success(call.Context, complete ? new JsonObject { ["jwt"] = AssetTokens.Make(session, AssetTokens.Complete) } : []);
    }

    /// <summary>The files a version upload's completion token names, or the error that says why there are none.</summary>
    internal static async Task<ImmutableSortedDictionary<string, AssetFile>> FilesAsync(IGrainFactory grains, string token) =>
        AssetTokens.Session(token, AssetTokens.Complete) is { } session && await grains.GetGrain<IAssetUploadGrain>(session).Files() is { } files
            ? files
            : throw new ApiException(400, ApiErrors.ScriptInvalid, "The upload's assets token is not the completion token of an assets upload session this cluster has finished (a silo restart loses sessions): run wrangler deploy again, which uploads the assets first.");
}

/// <summary>
/// The tokens of an assets upload session, shaped as the platform's JWTs (wrangler reads their
/// payload: its expiry, its upload mode). Not signed: the session id (128 random bits) is the secret.
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
            return payload.RootElement.TryGetProperty("kind", out var k) && k.GetString() == kind && payload.RootElement.TryGetProperty("session", out var s) ? s.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return null;
        }
    }

    private static string Base64Url(string text) => Base64UrlTextEncoder.Encode(Encoding.UTF8.GetBytes(text));
}
