using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Simulator.Workers;

/// <summary>
/// A folder of static assets as wrangler uploads it: each file by its path from the folder
/// ("/index.html"), its content hashed with its extension (the content type follows the extension,
/// so one content under two extensions is two assets), and the content type wrangler gives it.
/// </summary>
public static class AssetFiles
{
    /// <summary>Reads every file under <paramref name="directory"/>, as wrangler uploads it (a folder with a .assetsignore is refused: dosim does not read one).</summary>
    public static ImmutableSortedDictionary<string, byte[]> Read(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new WorkerProjectException($"The assets directory '{directory}' does not exist: build your site into it, or fix assets.directory in the configuration.");
        }

        if (File.Exists(Path.Combine(directory, ".assetsignore")))
        {
            throw new WorkerProjectException($"{Path.Combine(directory, ".assetsignore")}: .assetsignore files are not simulated by dosim; move what it ignores out of the assets directory.");
        }

        var files = ImmutableSortedDictionary.CreateBuilder<string, byte[]>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            var relative = "/" + Path.GetRelativePath(directory, path).Replace(Path.DirectorySeparatorChar, '/');
            if (relative is "/_headers" or "/_redirects")
            {
                throw new WorkerProjectException($"{path}: {relative[1..]} files are not simulated by dosim; set the headers or redirects in your Worker instead.");
            }

            var length = new FileInfo(path).Length;
            if (length > Simulator.Core.Assets.AssetSet.MaxFileBytes)
            {
                throw new WorkerProjectException($"Asset too large: {path} is {length:N0} bytes; the platform's limit on one asset is 25 MiB.");
            }

            files[relative] = File.ReadAllBytes(path);
        }

        return files.ToImmutable();
    }

    /// <summary>The hash a file's content is stored under: SHA-256 of the content and the extension, 32 hex digits.</summary>
    public static string Hash(string path, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(content);
        sha.AppendData(Encoding.UTF8.GetBytes(Path.GetExtension(path)));
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..32];
    }

    /// <summary>The content type wrangler uploads a file with (text types with charset=utf-8); null when it knows none.</summary>
    public static string? ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".html" or ".htm" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" or ".mjs" or ".cjs" => "text/javascript; charset=utf-8",
        ".txt" => "text/plain; charset=utf-8",
        ".csv" => "text/csv; charset=utf-8",
        ".md" => "text/markdown; charset=utf-8",
        ".xml" => "text/xml; charset=utf-8",
        ".json" or ".map" => "application/json",
        ".webmanifest" => "application/manifest+json",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        ".avif" => "image/avif",
        ".ico" => "image/vnd.microsoft.icon",
        ".woff" => "font/woff",
        ".woff2" => "font/woff2",
        ".ttf" => "font/ttf",
        ".otf" => "font/otf",
        ".wasm" => "application/wasm",
        ".pdf" => "application/pdf",
        ".mp4" => "video/mp4",
        ".webm" => "video/webm",
        ".mp3" => "audio/mpeg",
        _ => null,
    };
}
