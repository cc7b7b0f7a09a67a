using System.Collections.Immutable;

namespace Simulator.Core;

/// <summary>How a version came to be, as the platform's version listing says it.</summary>
public enum VersionSource
{
    /// <summary>A plain deploy: upload and 100% deployment in one step.</summary>
    Deploy,

    /// <summary>`versions upload`: uploaded without being deployed.</summary>
    Upload,

    /// <summary>A secret was put or deleted: a copy of the latest version with new secrets.</summary>
    Secret,
}

/// <summary>What a user supplies for a new version; the history assigns id, number and time.</summary>
public sealed record VersionDraft
{
    /// <summary>The registered script (code) this version runs, e.g. "hello" or "counter"; for JavaScript, its main module.</summary>
    public required string Script { get; init; }

    /// <summary>The version's own JavaScript modules and bindings; null for a built-in script.</summary>
    public WorkerCode? Code { get; init; }

    public string? Tag { get; init; }
    public string? Message { get; init; }
    public ImmutableSortedDictionary<string, string> Vars { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The Durable Object classes the version's code exports (the silo fills these in from the script).</summary>
    public ImmutableSortedSet<string> DurableObjectClasses { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>
    /// The classes the version's migrations create SQLite-backed (<c>new_sqlite_classes</c>). A plain
    /// deploy that applies them fixes their backend for the Worker, as on the platform.
    /// </summary>
    public ImmutableSortedSet<string> SqliteClasses { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>The tag the version's Durable Object migrations end at (wrangler's <c>new_tag</c>); null when it has none.</summary>
    public string? MigrationTag { get; init; }

    public bool HasMtlsBinding { get; init; }
    public bool UsesSmartPlacement { get; init; }

    /// <summary>Secrets uploaded with the version (wrangler's <c>secret_text</c> bindings): set over those it inherits.</summary>
    public ImmutableSortedDictionary<string, string> Secrets { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>
    /// Names one upload request (a digest of its body): a retry of the same request finds the version
    /// it made instead of making another. Null for uploads that are never retried.
    /// </summary>
    public string? UploadKey { get; init; }

    /// <summary>
    /// Content of the version's assets (<see cref="WorkerCode.Assets"/>) by hash, for those the
    /// cluster may not hold yet; stored when the version is made, never kept in the version.
    /// </summary>
    public System.Collections.Immutable.ImmutableDictionary<string, Assets.AssetContent> AssetContents { get; init; } = System.Collections.Immutable.ImmutableDictionary<string, Assets.AssetContent>.Empty;
}

/// <summary>An immutable version of a Worker.</summary>
public sealed record WorkerVersion
{
    public required Guid Id { get; init; }
    public required int Number { get; init; }
    public required DateTimeOffset CreatedOn { get; init; }
    public required string Script { get; init; }

    /// <summary>The version's own JavaScript modules and bindings; null for a built-in script.</summary>
    public WorkerCode? Code { get; init; }

    public string? Tag { get; init; }
    public string? Message { get; init; }
    public required VersionSource Source { get; init; }
    public ImmutableSortedDictionary<string, string> Vars { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>
    /// Secrets by name. The values reach the version's code inside the cluster; a history read by a
    /// client has them blanked (<see cref="WorkerHistory.WithoutSecretValues"/>), so listings show names only.
    /// </summary>
    public ImmutableSortedDictionary<string, string> Secrets { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ImmutableSortedSet<string> DurableObjectClasses { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>The migration tag of the version's code; null when it declares no migrations.</summary>
    public string? MigrationTag { get; init; }

    public bool HasMtlsBinding { get; init; }
    public bool UsesSmartPlacement { get; init; }

    /// <summary>The upload request that made it (<see cref="VersionDraft.UploadKey"/>); null when none was given.</summary>
    public string? UploadKey { get; init; }

    // Value equality: immutable collections compare by reference.
    public bool Equals(WorkerVersion? other) =>
        other is not null && Id == other.Id && Number == other.Number && CreatedOn == other.CreatedOn
        && Script == other.Script && Equals(Code, other.Code) && Tag == other.Tag && Message == other.Message && Source == other.Source
        && Vars.SequenceEqual(other.Vars) && Secrets.SequenceEqual(other.Secrets)
        && DurableObjectClasses.SequenceEqual(other.DurableObjectClasses) && MigrationTag == other.MigrationTag
        && HasMtlsBinding == other.HasMtlsBinding && UsesSmartPlacement == other.UsesSmartPlacement && UploadKey == other.UploadKey;

    public override int GetHashCode() => Id.GetHashCode();

    /// <summary>The same version with its secret values blanked, names kept.</summary>
    public WorkerVersion WithoutSecretValues() =>
        Secrets.IsEmpty ? this : this with { Secrets = Secrets.ToImmutableSortedDictionary(s => s.Key, _ => string.Empty, StringComparer.Ordinal) };

    public override string ToString() => Tag is null ? $"{Id} (#{Number})" : $"{Id} (#{Number}, {Tag})";
}
