using System.Collections.Concurrent;
using Simulator.Contracts;

namespace Simulator.Grains.Tests;

/// <summary>
/// Holds each silo's apply of a chosen Worker's deployments (inside the agent's call, so the agent
/// is busy with it) until the test lets it go: a test can act while an apply is certainly still
/// running, not merely probably, on a fast machine.
/// </summary>
public sealed class ApplyGate : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Held = new(StringComparer.Ordinal);

    /// <summary>Holds every apply of <paramref name="workerName"/>'s deployments until the returned handle is disposed.</summary>
    public static IDisposable Hold(string workerName)
    {
        var gate = Held[workerName] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new Release(workerName, gate);
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType == typeof(IDeploymentAgentGrain) && context.InterfaceMethod.Name == nameof(IDeploymentAgentGrain.Apply)
            && context.Request.GetArgument(0) is DeploymentSnapshot snapshot
            && Held.TryGetValue(snapshot.WorkerName, out var gate))
        {
            await gate.Task;
        }

        await context.Invoke();
    }

    private sealed class Release(string workerName, TaskCompletionSource gate) : IDisposable
    {
        public void Dispose()
        {
            Held.TryRemove(workerName, out _);
            gate.TrySetResult();
        }
    }
}
