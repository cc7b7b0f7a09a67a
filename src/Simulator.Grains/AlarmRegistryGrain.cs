using Simulator.Contracts;

namespace Simulator.Grains;

[GenerateSerializer, Alias("dosim.AlarmRegistryState")]
public sealed class AlarmRegistryState
{
    [Id(0)] public HashSet<string> Workers { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The Workers whose objects have set alarms: a silo that starts wakes their alarm indexes, so an
/// alarm set before a restart (or on a silo that was killed) still fires.
/// </summary>
public sealed class AlarmRegistryGrain(DurableObjectServices silo) : Grain, IAlarmRegistryGrain
{
    private const string StateName = "alarm-registry";
    private readonly GrainState<AlarmRegistryState> _state = new(new AlarmRegistryState());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await silo.Storage.ReadStateAsync(StateName, GrainContext.GrainId, _state);
        _state.State ??= new AlarmRegistryState();
    }

    public async Task Add(string workerName)
    {
        if (_state.State!.Workers.Add(workerName))
        {
            await silo.Storage.WriteStateAsync(StateName, GrainContext.GrainId, _state);
        }
    }

    public Task WakeAll() => Task.WhenAll(
        _state.State!.Workers.SelectMany(worker => Enumerable.Range(0, AlarmIndex.Partitions)
            .Select(p => GrainFactory.GetGrain<IAlarmIndexGrain>(AlarmIndex.Key(worker, p)).Wake())));
}
