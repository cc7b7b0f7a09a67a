using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Scenarios;

/// <summary>
/// One deploy of a replay: when, which version, and what its strategy did to the active objects it
/// moved: reset now, or deferred, the last switching by <see cref="SwitchBy"/> at the latest (times
/// from the replay's start).
/// </summary>
public sealed record ReplayStep(TimeSpan At, WorkerVersion Version, Guid DeploymentId, int ResetNow, int Deferred, TimeSpan? SwitchBy);

/// <summary>One version over a replay: how many objects ran it, their time on it, and the calls it served.</summary>
public sealed record ReplayVersionLine(WorkerVersion Version, int Objects, TimeSpan ObjectTime, long Calls, long Errors);

/// <summary>What a replay found: its deploys, each version's objects and time, the resets, and the Worker's analytics (with the skew matrix).</summary>
public sealed record ReplayReport
{
    public required CodeUpdateStrategy CodeUpdate { get; init; }
    public required IReadOnlyList<ReplayStep> Steps { get; init; }
    public required IReadOnlyList<ReplayVersionLine> Versions { get; init; }

    /// <summary>Every object's resets, in object order.</summary>
    public required IReadOnlyList<int> ResetsPerObject { get; init; }

    /// <summary>Resets of an object that was running at the time (at its deadline, or forced), and of one that took the new code as it woke.</summary>
    public required long ResetsWhileActive { get; init; }
    public required long ResetsOnWaking { get; init; }
    public required long Requests { get; init; }
    public required long Errors { get; init; }
    public required WorkerAnalytics Analytics { get; init; }
    public required TimeSpan Wall { get; init; }
}
