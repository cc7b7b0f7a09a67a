using System.Collections.Immutable;

namespace Simulator.Core;

/// <summary>One version of a deployment and its share of traffic, in percent (0 to 100, at most 3 decimals).</summary>
public readonly record struct VersionShare(Guid VersionId, decimal Percentage)
{
    public override string ToString() => $"{VersionId}@{Percentage}%";
}

/// <summary>How a deployment came to be.</summary>
public enum DeploymentSource
{
    Deploy,
    VersionsDeploy,
    Rollback,
    Secret,
}

/// <summary>An immutable deployment: one or two versions, in order, with their percentages.</summary>
public sealed record Deployment
{
    public required Guid Id { get; init; }
    public required DateTimeOffset CreatedOn { get; init; }
    public string? Message { get; init; }
    public required DeploymentSource Source { get; init; }
    public required ImmutableArray<VersionShare> Versions { get; init; }

    /// <summary>The code update strategy the deployment was made with; null when none was given.</summary>
    public CodeUpdateStrategy? CodeUpdateStrategy { get; init; }

    /// <summary>The strategy active objects follow: the one given, or the platform's default (deferred, 300 s).</summary>
    public CodeUpdateStrategy EffectiveCodeUpdate => CodeUpdateStrategy ?? Core.CodeUpdateStrategy.PlatformDefault;

    /// <summary>A single version at 100%: what rollbacks return to and what secrets need.</summary>
    public bool IsSingleVersion => Versions.Length == 1;

    public bool Contains(Guid versionId)
    {
        foreach (var share in Versions)
        {
            if (share.VersionId == versionId)
            {
                return true;
            }
        }

        return false;
    }

    // Value equality: ImmutableArray compares by reference.
    public bool Equals(Deployment? other) =>
        other is not null && Id == other.Id && CreatedOn == other.CreatedOn && Message == other.Message
        && Source == other.Source && Versions.SequenceEqual(other.Versions) && CodeUpdateStrategy == other.CodeUpdateStrategy;

    public override int GetHashCode() => Id.GetHashCode();

    public string Describe() => string.Join(", ", Versions.Select(v => $"{v.VersionId}@{v.Percentage}%"));
}
