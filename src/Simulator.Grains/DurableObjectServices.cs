using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Simulator.Grains.Hosting;
using Simulator.Grains.Scripts;
using Simulator.Grains.Telemetry;

namespace Simulator.Grains;

/// <summary>
/// The silo's services every Durable Object uses, in one reference: a field per service was 56
/// bytes of each of 100,000 active objects.
/// </summary>
public sealed class DurableObjectServices(
    DeploymentCache cache,
    ActiveObjects active,
    ObjectIndexWriter index,
    ScriptCatalog scripts,
    VersionRandom random,
    Time.SimulatedClock clock,
    TelemetryRecorder telemetry,
    SiloMembership membership,
    Time.IdleObjects idle,
    DurableObjectsSimulatorOptions options,
    ILogger<DurableObjectGrain> logger,
    IServiceProvider services)
{
    /// <summary>Word of other silos dying, for the objects' WebSockets.</summary>
    public SiloMembership Membership { get; } = membership;

    /// <summary>The grain storage named <see cref="DurableObjectsSimulatorOptions.StorageName"/>, whatever provider it is.</summary>
    public IGrainStorage Storage { get; } = services.GetRequiredKeyedService<IGrainStorage>(DurableObjectsSimulatorOptions.StorageName);

    public DeploymentCache Cache { get; } = cache;
    public ActiveObjects Active { get; } = active;
    public ObjectIndexWriter Index { get; } = index;
    public ScriptCatalog Scripts { get; } = scripts;
    public VersionRandom Random { get; } = random;
    /// <summary>Simulated time: SIM_LATENCY_MS, reset timestamps, the objects' code and alarms.</summary>
    public Time.SimulatedClock Clock { get; } = clock;
    public TelemetryRecorder Telemetry { get; } = telemetry;

    /// <summary>The objects idle here, looked at when their grace has passed.</summary>
    public Time.IdleObjects Idle { get; } = idle;

    public DurableObjectsSimulatorOptions Options { get; } = options;
    public ILogger<DurableObjectGrain> Logger { get; } = logger;

    /// <summary>Workers this silo has told the alarm registry about (it needs to hear of each once).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, bool> AlarmWorkers { get; } = new(StringComparer.Ordinal);
}
