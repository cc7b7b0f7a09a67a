using System.Collections.Immutable;

namespace Simulator.Contracts;

/// <summary>What one silo did with a pushed deployment.</summary>
[GenerateSerializer, Immutable, Alias("dosim.SiloApplyReport")]
public sealed record SiloApplyReport
{
    /// <summary>The silo's address.</summary>
    [Id(0)] public required string Silo { get; init; }

    /// <summary>Active objects of this silo that the deployment reassigned and that reset.</summary>
    [Id(1)] public int ObjectsReset { get; init; }

    /// <summary>Reassigned active objects that could not be reset now; they take their new version on their next call.</summary>
    [Id(2)] public int ObjectsFailed { get; init; }

    /// <summary>The first failure's message, when some object failed.</summary>
    [Id(3)] public string? FirstFailure { get; init; }

    /// <summary>Reassigned active objects that keep their code for now (a deferred update): each takes its new version when it hibernates, or by its deadline.</summary>
    [Id(4)] public int ObjectsDeferred { get; init; }

    /// <summary>The latest of those deadlines on the simulated clock; null when none was deferred.</summary>
    [Id(5)] public DateTimeOffset? DeferredUntil { get; init; }
}

/// <summary>A silo that did not apply a pushed deployment, and why.</summary>
[GenerateSerializer, Immutable, Alias("dosim.SiloMiss")]
public sealed record SiloMiss([property: Id(0)] string Silo, [property: Id(1)] string Reason);

/// <summary>
/// Where a saved deployment was applied when the deploy returned. A silo that missed it re-reads
/// the current deployment on its re-sync timer (or when membership changes) and applies it then.
/// </summary>
[GenerateSerializer, Immutable, Alias("dosim.PropagationReport")]
public sealed record PropagationReport
{
    /// <summary>The deployment's sequence number (how many deployments the worker has had).</summary>
    [Id(0)] public required int Sequence { get; init; }

    [Id(1)] public ImmutableArray<SiloApplyReport> Applied { get; init; } = [];
    [Id(2)] public ImmutableArray<SiloMiss> Missed { get; init; } = [];

    /// <summary>How often silos re-read the current deployment: the longest a miss lasts while the silo is up.</summary>
    [Id(3)] public TimeSpan ResyncInterval { get; init; }

    public bool Complete => Missed.IsEmpty;
}
