using Simulator.Contracts;

namespace Simulator.Grains.Telemetry;

/// <summary>The newest trace events of one worker on one silo; the oldest go when it is full.</summary>
internal sealed class TraceEventBuffer
{
    private readonly Queue<TraceEvent> _events = new();
    private readonly Lock _lock = new();

    public void Add(TraceEvent traceEvent, int capacity)
    {
        lock (_lock)
        {
            _events.Enqueue(traceEvent);
            while (_events.Count > capacity)
            {
                _events.Dequeue();
            }
        }
    }

    public TraceEventPage After(long sequence)
    {
        lock (_lock)
        {
            var newer = _events.Where(e => e.Sequence > sequence).ToList();
            return new TraceEventPage(newer.Count > 0 ? newer[^1].Sequence : sequence, [.. newer]);
        }
    }
}
