using System.Collections.Concurrent;
using Simulator.Core;
using Simulator.Grains.Hosting;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// This silo's compiled JavaScript versions: each version's modules are loaded into one engine the
/// first time one of its objects or requests needs them, and kept while the silo runs.
/// </summary>
public sealed class JavaScriptScripts(DurableObjectsSimulatorOptions options, DeploymentCache deployments, IGrainFactory grains, Time.SimulatedClock clock, Telemetry.TelemetryRecorder telemetry) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, Lazy<JavaScriptScript>> _versions = new();

    internal JavaScriptScript For(WorkerVersion version, string workerName)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (!_versions.ContainsKey(version.Id))
        {
            Prune(version.Id);
        }

        var script = _versions.GetOrAdd(version.Id, _ => new Lazy<JavaScriptScript>(() =>
            new JavaScriptScript(version, () => new JavaScriptEngine(version, workerName, options.JavaScriptLimits, grains, clock, telemetry.SocketTraffic(workerName, null, version.Id)), options.JavaScriptLimits.EnginesPerVersion).Load()));
        try
        {
            return script.Value;
        }
        catch (Exception)
        {
            // A version that cannot load is tried again next time (the error reached the caller).
            _versions.TryRemove(new KeyValuePair<Guid, Lazy<JavaScriptScript>>(version.Id, script));
            throw;
        }
    }

    /// <summary>
    /// Loads a draft's modules in an engine of their own, as the platform does at upload: a script
    /// that throws at load, imports what was not uploaded or lacks a declared class is refused now,
    /// not at its first request. Returns why, or null when it loads.
    /// </summary>
    internal string? Check(VersionDraft draft, string workerName)
    {
        var version = new WorkerVersion { Id = Guid.NewGuid(), Number = 0, CreatedOn = clock.UtcNow, Script = draft.Script, Code = draft.Code, Source = VersionSource.Upload, Vars = draft.Vars, DurableObjectClasses = draft.DurableObjectClasses };
        try
        {
            using var engine = new JavaScriptEngine(version, workerName, options.JavaScriptLimits, grains, clock);
            var missing = draft.DurableObjectClasses.Where(c => !engine.Exports(c)).ToList();
            return missing.Count == 0 ? null
                : $"The Worker's main module exports no class {string.Join(", ", missing)}, which its configuration binds or migrates (it exports: {string.Join(", ", engine.ExportNames)}).";
        }
        catch (Scripts.ScriptException ex)
        {
            return ex.Message;
        }
    }

    public void Dispose()
    {
        foreach (var engine in _versions.Values.Where(v => v.IsValueCreated).SelectMany(v => v.Value.Built))
        {
            engine.Dispose();
        }
    }

    /// <summary>Whether this silo holds engines of <paramref name="versionId"/> now.</summary>
    public bool Holds(Guid versionId) => _versions.TryGetValue(versionId, out var script) && script.IsValueCreated;

    // A version no deployment of this silo names any more lets its engines go when another is
    // loaded (calls still running on them keep them alive until they end); a rollback loads it again.
    private void Prune(Guid loading)
    {
        var deployed = deployments.DeployedVersions();
        foreach (var id in _versions.Keys)
        {
            if (id != loading && !deployed.Contains(id))
            {
                _versions.TryRemove(id, out _);
            }
        }
    }
}
