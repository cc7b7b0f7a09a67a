using Simulator.Contracts;
using Simulator.Grains.Hosting;

namespace Simulator.Benchmarks.Harness;

[Alias("dosim.bench.IBareCounterGrain")]
public interface IBareCounterGrain : IGrainWithStringKey
{
    [Alias("Fetch")]
    Task<WorkerResponse> Fetch(WorkerRequest request);
}

[GenerateSerializer]
public sealed class BareCounterState
{
    [Id(0)] public Dictionary<string, string> Storage { get; set; } = [];
}

/// <summary>
/// The baseline: a plain Orleans grain doing the Counter object's work (count in memory, read,
/// write durably, answer the same JSON: a 64-hex id, a version id, a tag). Keyed by the object's id.
/// </summary>
public sealed class BareCounterGrain(
    [PersistentState("bare", DurableObjectsSimulatorOptions.StorageName)] IPersistentState<BareCounterState> state) : Grain, IBareCounterGrain
{
    private static readonly string Version = Guid.NewGuid().ToString();
    private int _inMemory;

    public async Task<WorkerResponse> Fetch(WorkerRequest request)
    {
        _inMemory++;
        var durable = (state.State.Storage.TryGetValue("count", out var json) ? System.Text.Json.JsonSerializer.Deserialize<int>(json) : 0) + 1;
        state.State.Storage["count"] = System.Text.Json.JsonSerializer.Serialize(durable);
        await state.WriteStateAsync();
        var body = System.Text.Json.JsonSerializer.Serialize(new { name = (string?)null, id = this.GetPrimaryKeyString(), version = Version, tag = "A", inMemory = _inMemory, durable });
        return WorkerResponse.Json(body + "\n");
    }
}
