using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// The runtime's allocation samples (one event per ~100 KB allocated, naming the type that crossed
/// it) while it is listening: which types a measured window allocates, without a profiler.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private volatile bool _listening;

    public void Start() => _listening = true;

    public void Stop() => _listening = false;

    /// <summary>The types that took the most sampled bytes, with their share.</summary>
    public IEnumerable<string> Top(int count)
    {
        var total = Math.Max(1, _bytes.Values.Sum());
        return _bytes.OrderByDescending(e => e.Value).Take(count).Select(e => $"{100.0 * e.Value / total,5:0.0}% {e.Key}");
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_listening || eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        var type = eventData.Payload![eventData.PayloadNames.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(eventData.Payload[eventData.PayloadNames.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        _bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }
}
