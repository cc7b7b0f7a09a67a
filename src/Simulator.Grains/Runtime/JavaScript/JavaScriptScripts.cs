using System.Collections.Concurrent;
using Simulator.Core;
using Simulator.Grains.Hosting;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// This silo's compiled JavaScript versions: each version's modules are loaded into one engine the
/// first time one of its objects or requests needs them, and kept while the silo runs.
/// </summary>
public sealed class JavaScriptScripts(DurableObjectsSimulatorOptions options, IGrainFactory grains, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, Lazy<JavaScriptScript>> _versions = new();

    internal JavaScriptScript For(WorkerVersion version, string workerName)
    {
        ArgumentNullException.ThrowIfNull(version);
        var script = _versions.GetOrAdd(version.Id, _ => new Lazy<JavaScriptScript>(() => new JavaScriptScript(version, new JavaScriptEngine(version, workerName, options.JavaScriptLimits, grains, time))));
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

    public void Dispose()
    {
        foreach (var script in _versions.Values.Where(v => v.IsValueCreated))
        {
            script.Value.Engine.Dispose();
        }
    }

    /// <summary>How many versions this silo has compiled (for tests and the docs' claim of once per version).</summary>
    public int Compiled => _versions.Count(v => v.Value.IsValueCreated);
}
