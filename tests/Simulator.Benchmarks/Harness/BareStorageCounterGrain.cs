using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Simulator.Contracts;
using Simulator.Grains.Hosting;

namespace Simulator.Benchmarks.Harness;

[Alias("dosim.bench.IBareStorageCounterGrain")]
public interface IBareStorageCounterGrain : IGrainWithStringKey
{
    [Alias("Fetch")]
    Task<WorkerResponse> Fetch(WorkerRequest request);
}

/// <summary>
/// The stricter baseline: <see cref="BareCounterGrain"/>'s work, its state written to the grain
/// storage directly as the simulator's objects write theirs (no IPersistentState bridge).
/// </summary>
public sealed class BareStorageCounterGrain(IServiceProvider services) : Grain, IBareStorageCounterGrain
{
    private static readonly string Version = Guid.NewGuid().ToString();
    private readonly IGrainStorage _storage = services.GetRequiredKeyedService<IGrainStorage>(DurableObjectsSimulatorOptions.StorageName);
    private readonly GrainState<BareCounterState> _state = new(new BareCounterState());
    private int _inMemory;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await _storage.ReadStateAsync("bare", GrainContext.GrainId, _state);
        _state.State ??= new BareCounterState();
    }

    public async Task<WorkerResponse> Fetch(WorkerRequest request)
    {
        _inMemory++;
        var storage = _state.State!.Storage;
        var durable = (storage.TryGetValue("count", out var json) ? System.Text.Json.JsonSerializer.Deserialize<int>(json) : 0) + 1;
        storage["count"] = System.Text.Json.JsonSerializer.Serialize(durable);
        await _storage.WriteStateAsync("bare", GrainContext.GrainId, _state);
        var body = System.Text.Json.JsonSerializer.Serialize(new { name = (string?)null, id = this.GetPrimaryKeyString(), version = Version, tag = "A", inMemory = _inMemory, durable });
        return WorkerResponse.Json(body + "\n");
    }
}
