using System.Collections.Concurrent;
using Simulator.Contracts;

namespace Simulator.Grains.Tests;

/// <summary>
/// Holds the resets of a chosen Worker's objects until the test lets them go, so a test can act
/// while an apply is certainly still running (not merely probably, on a fast machine).
/// </summary>
public sealed class RefreshGate : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Held = new(StringComparer.Ordinal);

    /// <summary>Holds every reset of <paramref name="workerName"/>'s objects until the returned handle is disposed.</summary>
    public static IDisposable Hold(string workerName)
    {
        var gate = Held[workerName] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new Release(workerName, gate);
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType == typeof(IDurableObjectGrain) && context.InterfaceMethod.Name == nameof(IDurableObjectGrain.Refresh)
            && context.TargetId.Key.ToString() is { } key
            && Held.TryGetValue(DurableObjectKey.Parse(key).WorkerName, out var gate))
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
