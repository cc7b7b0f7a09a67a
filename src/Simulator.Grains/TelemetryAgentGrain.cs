using System.Collections.Immutable;
using Orleans.Concurrency;
using Simulator.Contracts;
using Simulator.Grains.Placement;
using Simulator.Grains.Telemetry;

namespace Simulator.Grains;

/// <summary>
/// One per silo, placed on it: answers for the silo's telemetry and its active objects. Apart from
/// the deployment agent and reentrant, so a large apply never delays a read, and a follower
/// waiting for events holds nothing up.
/// </summary>
[SiloTargetedPlacement, Reentrant]
public sealed class TelemetryAgentGrain(TelemetryRecorder telemetry, ActiveObjects active) : Grain, ITelemetryAgentGrain
{
    public Task<SiloAnalytics> ReadAnalytics(string workerName) => Task.FromResult(telemetry.ReadAnalytics(workerName));

    public Task<TraceEventPage> ReadTraceEvents(string workerName, long afterSequence) => Task.FromResult(telemetry.ReadTraceEvents(workerName, afterSequence));

    public IAsyncEnumerable<TraceEvent> Follow(string workerName, long afterSequence, CancellationToken cancellation = default) =>
        telemetry.Follow(workerName, afterSequence, cancellation);

    public Task<ImmutableArray<KeyValuePair<string, Guid>>> ActiveObjects(string workerName) =>
        Task.FromResult<ImmutableArray<KeyValuePair<string, Guid>>>([.. active.KeysOf(workerName)]);

    public Task<ImmutableArray<ObjectSocketCount>> SocketCounts(string workerName) => Task.FromResult(active.SocketCountsOf(workerName));

    public Task<ImmutableArray<KeyValuePair<string, DateTimeOffset>>> PendingUpdates(string workerName) => Task.FromResult(active.PendingUpdatesOf(workerName));

    public Task<ImmutableArray<string>> BusyObjects(string workerName) => Task.FromResult(active.BusyOf(workerName));
}
