using System.Collections.Concurrent;
using Orleans.Storage;

namespace Simulator.Grains.Tests;

/// <summary>
/// Grain storage that, on command, lets a rival write a grain's state just before that grain's next
/// write: what another activation of the grain does during a failure. The grain's own write then
/// meets a stale ETag in the real store underneath and fails as it would in production. It can also
/// fail a grain's next write outright, as a store that is down does.
/// </summary>
public sealed class RivalWriteStorage(IGrainStorage inner) : IGrainStorage
{
    private readonly ConcurrentDictionary<(string StateName, string Key), Action<object>> _rivals = new();
    private readonly ConcurrentDictionary<(string StateName, string Key), bool> _failures = new();
    private readonly ConcurrentDictionary<(string StateName, string Key), Action<object>> _observers = new();

    /// <summary>The next write of state <paramref name="stateName"/> of the grain keyed <paramref name="key"/> fails with an <see cref="IOException"/>, and stores nothing.</summary>
    public void FailNext(string stateName, string key) => _failures[(stateName, key)] = true;

    /// <summary>Before the next write of state <paramref name="stateName"/> of the grain keyed <paramref name="key"/>, a rival changes it with <paramref name="change"/>.</summary>
    public void Before<TState>(string stateName, string key, Action<TState> change) =>
        _rivals[(stateName, key)] = state => change((TState)state);

    /// <summary>The next write of state <paramref name="stateName"/> of the grain keyed <paramref name="key"/> is shown to <paramref name="seen"/>, then stored as it is.</summary>
    public void OnNextWrite<TState>(string stateName, string key, Action<TState> seen) =>
        _observers[(stateName, key)] = state => seen((TState)state);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_failures.TryRemove((stateName, grainId.Key.ToString()!), out _))
        {
            throw new IOException($"The store refused the write of '{stateName}' (a test's command).");
        }

        if (_observers.TryRemove((stateName, grainId.Key.ToString()!), out var seen))
        {
            seen(grainState.State!);
        }

        if (_rivals.TryRemove((stateName, grainId.Key.ToString()!), out var change))
        {
            var rival = new RivalState<T>();
            await inner.ReadStateAsync(stateName, grainId, rival);
            change(rival.State!);
            await inner.WriteStateAsync(stateName, grainId, rival);
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);

    private sealed class RivalState<T> : IGrainState<T>
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public T State { get; set; } = default!;
        public string? ETag { get; set; }
        public bool RecordExists { get; set; }
    }
}
