using Simulator.Core;
using Simulator.Grains.Runtime;
using Simulator.Grains.Scripts;

namespace Simulator.Grains.Hosting;

/// <summary>How a silo runs the simulator: its scripts, rules and storage.</summary>
public sealed class DurableObjectsSimulatorOptions
{
    /// <summary>The grain storage provider every simulator grain persists through.</summary>
    public const string StorageName = "dosim";

    private readonly Dictionary<string, ScriptDefinition> _scripts = [];

    public DurableObjectsSimulatorOptions()
    {
        AddScript<HelloWorker>("hello");
        AddScript<CounterWorker>("counter", s => s.AddDurableObject<Counter>("Counter", "COUNTER"));
    }

    /// <summary>Registers in-memory storage as <see cref="StorageName"/>. Turn off to register any Orleans provider under that name.</summary>
    public bool UseMemoryStorage { get; set; } = true;

    /// <summary>Stores state in files under this directory instead (shared by the silos of one machine; survives a killed silo).</summary>
    public string? StoragePath { get; set; }

    /// <summary>Stores state in this process-wide store instead (shared by in-process silos; survives a stopped silo).</summary>
    public Storage.SharedMemoryStore? SharedStore { get; set; }

    /// <summary>How many storage grains the in-memory storage spreads state over.</summary>
    public int MemoryStoragePartitions { get; set; } = 64;

    /// <summary>How many of the newest versions may be deployed (the seeds say 10; the platform now allows 100).</summary>
    public int DeployableWindow { get; set; } = WorkerRules.DefaultDeployableWindow;

    /// <summary>How often each silo re-reads the current deployment of the Workers it holds, to repair a missed push.</summary>
    public TimeSpan ResyncInterval { get; set; } = DefaultResyncInterval;

    public static readonly TimeSpan DefaultResyncInterval = TimeSpan.FromSeconds(5);

    /// <summary>Count invocations, buffer trace events and write them (on by default; the telemetry cost harness turns it off).</summary>
    public bool RecordTelemetry { get; set; } = true;

    /// <summary>How many trace events each silo keeps per worker for `dosim tail`.</summary>
    public int TraceEventBufferSize { get; set; } = 1000;

    /// <summary>Writes trace events as NDJSON: "-" for standard output, or a file path (appended); null for none.</summary>
    public string? TraceEventsOutput { get; set; }

    /// <summary>A seed for the random version choice, so a run replays; null for a random seed.</summary>
    public int? RandomSeed { get; set; }

    /// <summary>
    /// When set, simulated time (JavaScript's Date and timers, alarms, SIM_LATENCY_MS, reset
    /// timestamps) starts at this instant and moves only when the cluster's clock is advanced
    /// (<c>dosim clock advance</c>, <c>AdvanceAsync</c>); null: simulated time is real time.
    /// </summary>
    public DateTimeOffset? VirtualClockStart { get; set; }

    /// <summary>
    /// Keeps idle objects in memory, as workerd's <c>preventEviction</c> does: none hibernates or is
    /// evicted for idleness (a deferred code update then lands at its deadline). Off by default: an
    /// idle object leaves memory as on the platform (docs/semantics.md, "The object lifecycle").
    /// </summary>
    public bool PreventEviction { get; set; }

    /// <summary>The sandbox of versions' own JavaScript: CPU time, memory, recursion per turn (docs/runtime.md).</summary>
    public Runtime.JavaScript.JavaScriptLimits JavaScriptLimits { get; set; } = new();

    /// <summary>Registers a script that versions can run, with its Durable Object classes and bindings.</summary>
    public DurableObjectsSimulatorOptions AddScript<TWorker>(string name, Action<ScriptBuilder>? configure = null)
        where TWorker : class, IWorker
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var builder = new ScriptBuilder();
        configure?.Invoke(builder);
        _scripts[name] = new ScriptDefinition(name, typeof(TWorker), builder);
        return this;
    }

    internal ScriptCatalog BuildCatalog() => new(new Dictionary<string, ScriptDefinition>(_scripts));
}
