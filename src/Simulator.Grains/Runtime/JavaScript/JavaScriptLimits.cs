namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// The sandbox of a version's JavaScript: what one turn of it (a call, or its resumption after an
/// await) may use before it is stopped with the platform's outcome. A runaway script fails its own
/// request and the silo keeps serving every other one.
/// </summary>
public sealed record JavaScriptLimits
{
    /// <summary>Time one turn may run (Jint measures wall time on the turn's thread): "exceeded CPU time".</summary>
    public TimeSpan CpuPerTurn { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Bytes one turn may allocate: "exceeded memory". Jint counts what a turn allocates, garbage
    /// included, where the platform limits the live heap (128 MB): 1 GiB leaves an infinite loop
    /// that only makes garbage to the CPU limit, as on the platform, and still stops a memory bomb.
    /// </summary>
    public long MemoryPerTurn { get; init; } = 1024L * 1024 * 1024;

    /// <summary>JavaScript call depth; deeper is a RangeError, never a crash of the silo.</summary>
    public int MaxRecursion { get; init; } = 1000;

    public uint MaxArraySize { get; init; } = 10_000_000;

    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Engines per version on a silo (objects are pinned to one; module globals are per engine).</summary>
    public int EnginesPerVersion { get; init; } = Environment.ProcessorCount;

    /// <summary>Nesting depth of JSON.parse.</summary>
    public int MaxJsonDepth { get; init; } = 256;

    /// <summary>Why these limits cannot run anything; null when they can.</summary>
    public string? Validate() =>
        CpuPerTurn <= TimeSpan.Zero ? $"The CPU time per turn must be positive (got {CpuPerTurn})."
        : MemoryPerTurn < 1024 * 1024 ? $"The memory per turn must be at least 1 MiB (got {MemoryPerTurn} bytes)."
        : MaxRecursion < 10 ? $"The recursion limit must be at least 10 (got {MaxRecursion})."
        : EnginesPerVersion < 1 ? $"Engines per version must be at least 1 (got {EnginesPerVersion})."
        : null;
}
