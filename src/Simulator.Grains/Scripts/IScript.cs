using System.Collections.Immutable;
using Simulator.Grains.Runtime;

namespace Simulator.Grains.Scripts;

/// <summary>
/// The code a version runs, whatever it is written in: a built-in C# script or the version's own
/// JavaScript. It makes the Worker's handler and the version's Durable Object instances.
/// </summary>
public interface IScript
{
    string Name { get; }

    /// <summary>Binding name (e.g. COUNTER) → class name (e.g. Counter).</summary>
    ImmutableDictionary<string, string> DurableObjectBindings { get; }

    /// <summary>Binding name → worker name.</summary>
    ImmutableDictionary<string, string> ServiceBindings { get; }

    internal IWorker CreateWorker(IServiceProvider services);

    internal IDurableObject CreateDurableObject(IServiceProvider services, string className, DurableObjectState state, WorkerEnv env);
}
