using System.Collections.Immutable;
using Simulator.Core.Assets;

namespace Simulator.Contracts;

/// <summary>One asset's content, keyed by its hash: stored once, read by every silo that serves it.</summary>
[Alias("dosim.IAssetContentGrain")]
public interface IAssetContentGrain : IGrainWithStringKey
{
    [Alias("Put")]
    Task Put(AssetContent content);

    /// <summary>The content; null when none was stored under this hash.</summary>
    [Alias("Read")]
    Task<AssetContent?> Read();

    [Alias("Has")]
    Task<bool> Has();
}

/// <summary>
/// One assets upload session (keyed by its id), as the platform's API runs it: the manifest
/// wrangler sends, the hashes still to upload, and, once none is missing, the manifest a version
/// takes by its completion token.
/// </summary>
[Alias("dosim.IAssetUploadGrain")]
public interface IAssetUploadGrain : IGrainWithStringKey
{
    /// <summary>Starts the session for a Worker's manifest (path → hash); the hashes whose content the cluster does not hold.</summary>
    [Alias("Start")]
    Task<ImmutableArray<string>> Start(string workerName, ImmutableSortedDictionary<string, string> manifest);

    /// <summary>The hashes the session still waits for; null when there is no such session.</summary>
    [Alias("Missing")]
    Task<ImmutableHashSet<string>?> Missing();

    /// <summary>Marks hashes uploaded; true once none is missing.</summary>
    [Alias("Received")]
    Task<bool> Received(ImmutableArray<string> hashes);

    /// <summary>The files (path → hash and content type) of the Worker's session that has everything; null when there is no such session or something is missing.</summary>
    [Alias("Files")]
    Task<ImmutableSortedDictionary<string, AssetFile>?> Files(string workerName);
}
