namespace Simulator.Api;

/// <summary>Settings of the platform's REST API on a silo's HTTP port.</summary>
public sealed class PlatformApiOptions
{
    /// <summary>The platform's limit on a Worker upload (10 MiB on the paid plan).</summary>
    public const long DefaultMaxBodyBytes = 10 * 1024 * 1024;

    /// <summary>
    /// The bearer token every request must carry; null: any token (or none) is accepted from a
    /// loopback client, and other clients are refused.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>A file that gets one JSON line per API request (method, path, status, error code); null: none.</summary>
    public string? LogPath { get; set; }

    public long MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;
}
