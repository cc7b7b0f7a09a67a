using System.Collections.Immutable;
using Simulator.Contracts;
using Simulator.Grains.Placement;

namespace Simulator.Grains;

/// <summary>
/// One per silo, placed on it: stores each pushed deployment in the silo's cache and resets,
/// at once, exactly the active objects of this silo whose version changes.
/// </summary>
[SiloTargetedPlacement]
public sealed class DeploymentAgentGrain(DeploymentCache cache, ActiveObjects active) : Grain, IDeploymentAgentGrain
{
    public Task Apply(DeploymentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!cache.Update(snapshot) || snapshot.Ranges is not { } ranges)
        {
            return Task.CompletedTask;
        }

        var refreshes = new List<Task>();
        foreach (var (grainKey, version) in active.Of(snapshot.WorkerName))
        {
            var objectId = DurableObjectKey.Parse(grainKey).ObjectId;
            if (ranges.VersionFor(objectId) != version)
            {
                refreshes.Add(GrainFactory.GetGrain<IDurableObjectGrain>(grainKey).Refresh());
            }
        }

        return Task.WhenAll(refreshes);
    }

    public Task<ImmutableArray<string>> ActiveObjects(string workerName) =>
        Task.FromResult<ImmutableArray<string>>([.. active.Of(workerName).Select(o => o.Key)]);
}
