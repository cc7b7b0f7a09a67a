namespace Simulator.Contracts;

/// <summary>The cluster's simulated time as a read or an advance left it.</summary>
[GenerateSerializer, Immutable, Alias("dosim.ClockReading")]
public sealed record ClockReading(
    [property: Id(0)] DateTimeOffset Now,
    [property: Id(1)] bool IsVirtual,
    [property: Id(2)] int TimersFired = 0,
    [property: Id(3)] int StillRunning = 0);

/// <summary>
/// The cluster's simulated clock (one, keyed 0). With silos started on a virtual clock
/// (<c>--clock virtual</c>), <see cref="Advance"/> moves every silo's simulated time together, from
/// one due timer or alarm to the next, and returns once what they started has finished.
/// </summary>
[Alias("dosim.IClockGrain")]
public interface IClockGrain : IGrainWithIntegerKey
{
    [Alias("Read"), Orleans.Concurrency.AlwaysInterleave]
    Task<ClockReading> Read();

    /// <summary>Refused (<see cref="RuleRefusedException"/>) when the silos run on real time, or the duration is not positive.</summary>
    [Alias("Advance")]
    Task<ClockReading> Advance(TimeSpan by);
}

/// <summary>One per silo (keyed by its address, placed on it): that silo's simulated clock.</summary>
[Alias("dosim.IClockAgentGrain")]
public interface IClockAgentGrain : IGrainWithStringKey
{
    [Alias("Read")]
    Task<ClockReading> Read();

    /// <summary>When the silo's next timer or alarm is due; null when none is (or the clock is real).</summary>
    [Alias("NextDue")]
    Task<DateTimeOffset?> NextDue();

    /// <summary>Moves the silo's virtual time to <paramref name="instant"/>, firing what is due by then, and waits for what they started.</summary>
    [Alias("MoveTo")]
    Task<ClockReading> MoveTo(DateTimeOffset instant);
}

/// <summary>
/// A partition of a Worker's alarm index (keyed "worker/partition"): when each of its objects'
/// alarms is due, kept in grain storage, with one timer on the simulated clock for the earliest. It
/// wakes the object (on any silo, active or not) when its alarm is due.
/// </summary>
[Alias("dosim.IAlarmIndexGrain")]
public interface IAlarmIndexGrain : IGrainWithStringKey
{
    /// <summary>The object's alarm is due at <paramref name="dueMs"/> (Unix ms on the simulated clock); null: it has none.</summary>
    [Alias("Schedule"), Orleans.Concurrency.AlwaysInterleave]
    Task Schedule(string objectKey, long? dueMs);

    /// <summary>Activates the partition so its timer runs (after a silo restart); returns how many alarms it holds.</summary>
    [Alias("Wake"), Orleans.Concurrency.AlwaysInterleave]
    Task<int> Wake();
}

/// <summary>The Workers that have alarms (one, keyed 0): what a starting silo wakes.</summary>
[Alias("dosim.IAlarmRegistryGrain")]
public interface IAlarmRegistryGrain : IGrainWithIntegerKey
{
    [Alias("Add")]
    Task Add(string workerName);

    /// <summary>Wakes every alarm index partition of every Worker that has had alarms.</summary>
    [Alias("WakeAll")]
    Task WakeAll();
}

/// <summary>How a Worker's alarm index is partitioned.</summary>
public static class AlarmIndex
{
    /// <summary>Partitions per Worker: each stores its whole part on a write, and holds one timer.</summary>
    public const int Partitions = 64;

    public static string Key(string workerName, int partition) => $"{workerName}/{partition}";

    public static int PartitionOf(string objectId) => (int)(Core.StableHash.Point(objectId) >> 56) % Partitions;
}
