using Simulator.Contracts;

namespace Simulator.Grains.Telemetry;

/// <summary>
/// The newest trace events of one worker on one silo; the oldest go when it is full. A reader can
/// wait for the next event instead of polling.
/// </summary>
internal sealed class TraceEventBuffer
{
    private readonly Queue<TraceEvent> _events = new();
    private readonly Lock _lock = new();
    private long _lastSequence = -1;
    // Made only while a reader waits, so recording an event with nobody following costs nothing.
    private TaskCompletionSource? _added;

    public void Add(TraceEvent traceEvent, int capacity)
    {
        TaskCompletionSource? added;
        lock (_lock)
        {
            _events.Enqueue(traceEvent);
            _lastSequence = traceEvent.Sequence;
            while (_events.Count > capacity)
            {
                _events.Dequeue();
            }

            (added, _added) = (_added, null);
        }

        added?.TrySetResult();
    }

    public TraceEventPage After(long sequence)
    {
        lock (_lock)
        {
            var newer = _events.Where(e => e.Sequence > sequence).ToList();
            return new TraceEventPage(newer.Count > 0 ? newer[^1].Sequence : sequence, [.. newer]);
        }
    }

    /// <summary>Completes when an event newer than <paramref name="sequence"/> is held.</summary>
    public Task WhenNewerThan(long sequence, CancellationToken cancellation)
    {
        lock (_lock)
        {
            return _lastSequence > sequence ? Task.CompletedTask : (_added ??= NewSignal()).Task.WaitAsync(cancellation);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
