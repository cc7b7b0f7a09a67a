namespace Simulator.Grains.Runtime;

/// <summary>A Durable Object's one alarm: when it is due (Unix ms, simulated clock), stored with the object's metadata.</summary>
internal interface IObjectAlarm
{
    long? DueMs { get; }

    /// <summary>Sets (or, with null, deletes) the alarm; the task ends once it is stored and its Worker's alarm index knows.</summary>
    Task SetAsync(long? dueMs);
}
