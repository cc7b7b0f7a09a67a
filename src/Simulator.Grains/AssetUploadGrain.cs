using System.Collections.Immutable;
using Simulator.Contracts;
using Simulator.Core.Assets;

namespace Simulator.Grains;

/// <summary>
/// An assets upload session, held in memory for as long as wrangler takes to upload and deploy
/// (a silo restart in between loses it; the deploy then asks to upload again).
/// </summary>
public sealed class AssetUploadGrain : Grain, IAssetUploadGrain
{
    private ImmutableSortedDictionary<string, string>? _manifest;
    private string? _workerName;
    private readonly HashSet<string> _missing = new(StringComparer.Ordinal);

    public async Task<ImmutableArray<string>> Start(string workerName, ImmutableSortedDictionary<string, string> manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        (_manifest, _workerName) = (manifest, workerName);
        _missing.Clear();
        var hashes = manifest.Values.Distinct(StringComparer.Ordinal).ToList();
        var held = await Task.WhenAll(hashes.Select(h => GrainFactory.GetGrain<IAssetContentGrain>(h).Has()));
        for (var i = 0; i < hashes.Count; i++)
        {
            if (!held[i])
            {
                _missing.Add(hashes[i]);
            }
        }

        return [.. _missing.Order(StringComparer.Ordinal)];
    }

    public Task<ImmutableHashSet<string>?> Missing() =>
        Task.FromResult(_manifest is null ? null : _missing.ToImmutableHashSet(StringComparer.Ordinal));

    public Task<bool> Received(ImmutableArray<string> hashes)
    {
        foreach (var hash in hashes)
        {
            _missing.Remove(hash);
        }

        return Task.FromResult(_manifest is not null && _missing.Count == 0);
    }

    public async Task<ImmutableSortedDictionary<string, AssetFile>?> Files(string workerName)
    {
        if (_manifest is null || _missing.Count > 0 || workerName != _workerName)
        {
            return null;
        }

        var contents = await Task.WhenAll(_manifest.Select(async e => (e.Key, e.Value, Content: await GrainFactory.GetGrain<IAssetContentGrain>(e.Value).Read())));
        return contents.Any(c => c.Content is null)
            ? null
            : contents.ToImmutableSortedDictionary(c => c.Key, c => new AssetFile(c.Value, c.Content!.ContentType), StringComparer.Ordinal);
    }
}
