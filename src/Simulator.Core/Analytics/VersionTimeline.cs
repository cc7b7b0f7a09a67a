namespace Simulator.Core.Analytics;

/// <summary>How long an object was on each version: from its first run, or the reset that put it on a version, to the next reset or the end.</summary>
public static class VersionTimeline
{
    /// <param name="start">When the object first ran, on <paramref name="first"/>.</param>
    /// <param name="first">The version it first ran.</param>
    /// <param name="resets">Its resets, each the time it took the version it moved to; any order.</param>
    /// <param name="end">When the reckoning stops.</param>
    public static IReadOnlyDictionary<Guid, TimeSpan> TimeOnVersions(DateTimeOffset start, Guid first, IEnumerable<(DateTimeOffset At, Guid To)> resets, DateTimeOffset end)
    {
        ArgumentNullException.ThrowIfNull(resets);
        var spans = new Dictionary<Guid, TimeSpan>();
        var (since, on) = (start, first);
        foreach (var (at, to) in resets.Where(r => r.At >= start && r.At <= end).OrderBy(r => r.At))
        {
            spans[on] = spans.GetValueOrDefault(on) + (at - since);
            (since, on) = (at, to);
        }

        spans[on] = spans.GetValueOrDefault(on) + (end > since ? end - since : TimeSpan.Zero);
        return spans;
    }
}
