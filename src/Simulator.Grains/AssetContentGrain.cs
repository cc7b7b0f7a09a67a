using Simulator.Contracts;
using Simulator.Core.Assets;
using Simulator.Grains.Hosting;

namespace Simulator.Grains;

[GenerateSerializer, Alias("dosim.AssetContentState")]
public sealed class AssetContentState
{
    [Id(0)] public AssetContent? Content { get; set; }
}

/// <summary>An asset's content, stored under its hash in the silo's grain storage (content never changes under a hash, so a second put of it is not written).</summary>
public sealed class AssetContentGrain(
    [PersistentState("asset", DurableObjectsSimulatorOptions.StorageName)] IPersistentState<AssetContentState> state) : Grain, IAssetContentGrain
{
    public async Task Put(AssetContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (state.State.Content is null)
        {
            state.State.Content = content;
            await state.WriteStateAsync();
        }
    }

    public Task<AssetContent?> Read() => Task.FromResult(state.State.Content);

    public Task<bool> Has() => Task.FromResult(state.State.Content is not null);
}
