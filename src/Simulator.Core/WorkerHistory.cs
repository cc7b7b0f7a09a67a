using System.Collections.Immutable;

namespace Simulator.Core;

/// <summary>
/// Settings of the rules that the platform has changed over time. They belong to the cluster, not
/// to a Worker: every decision is made under the rules configured now.
/// </summary>
public sealed record WorkerRules
{
    /// <summary>The seeds' limit; the platform raised it to 100 in 2025.</summary>
    public const int DefaultDeployableWindow = 10;

    private readonly int _deployableWindow = DefaultDeployableWindow;

    /// <summary>How many of the newest versions may appear in a new deployment or rollback (at least 1).</summary>
    public int DeployableWindow
    {
        get => _deployableWindow;
        init => _deployableWindow = value >= 1
            ? value
            : throw new RuleViolationException(new RuleError(RuleError.InvalidInput, $"The deployable window must be at least 1 version (got {value})."));
    }

    public static WorkerRules Default { get; } = new();
}

/// <summary>
/// A Worker's append-only versions and deployments. Immutable: every change returns a new history,
/// and a refused change throws <see cref="RuleViolationException"/> with the history untouched.
/// </summary>
public sealed record WorkerHistory
{
    private const decimal SumTolerance = 0.001m;

    public required string WorkerName { get; init; }
    public ImmutableList<WorkerVersion> Versions { get; init; } = ImmutableList<WorkerVersion>.Empty;
    public ImmutableList<Deployment> Deployments { get; init; } = ImmutableList<Deployment>.Empty;

    /// <summary>The Durable Object migration tags applied so far, oldest first (only plain deploys apply them).</summary>
    public ImmutableList<string> MigrationTags { get; init; } = ImmutableList<string>.Empty;

    /// <summary>The Durable Object classes the Worker's objects belong to, as its last plain deploy set them.</summary>
    public ImmutableSortedSet<string> DurableObjectClasses { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>The Durable Object classes that are SQLite-backed (created by <c>new_sqlite_classes</c>); the others keep key-value storage.</summary>
    public ImmutableSortedSet<string> SqliteClasses { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>The Worker's current migration tag: the last one applied, or null.</summary>
    public string? MigrationTag => MigrationTags.IsEmpty ? null : MigrationTags[^1];

    /// <summary>The deployment serving traffic: the newest one, or null before the first deploy.</summary>
    public Deployment? CurrentDeployment => Deployments.IsEmpty ? null : Deployments[^1];

    public WorkerVersion? LatestVersion => Versions.IsEmpty ? null : Versions[^1];

    public static WorkerHistory Create(string workerName)
    {
        Check(WorkerNames.Validate(workerName));
        return new WorkerHistory { WorkerName = workerName };
    }

    public WorkerVersion? FindVersion(Guid id) => Versions.Find(v => v.Id == id);

    public WorkerVersion GetVersion(Guid id) =>
        FindVersion(id) ?? throw Refuse(RuleError.UnknownVersion, $"Worker '{WorkerName}' has no version {id}. List them with `dosim versions list`.");

    /// <summary>Finds a version by id, by unique tag, or by "latest".</summary>
    public WorkerVersion ResolveVersion(string idOrTag)
    {
        ArgumentNullException.ThrowIfNull(idOrTag);
        if (Guid.TryParse(idOrTag, out var id))
        {
            return GetVersion(id);
        }

        if (idOrTag == "latest" && LatestVersion is { } latest)
        {
            return latest;
        }

        var tagged = Versions.Where(v => v.Tag == idOrTag).ToList();
        return tagged.Count switch
        {
            1 => tagged[0],
            0 => throw Refuse(RuleError.UnknownVersion, $"Worker '{WorkerName}' has no version with id or tag '{idOrTag}'. List them with `dosim versions list`."),
            _ => throw Refuse(RuleError.AmbiguousVersion, $"Tag '{idOrTag}' names {tagged.Count} versions of '{WorkerName}' ({string.Join(", ", tagged.Select(v => v.Id))}); name one by its id."),
        };
    }

    /// <summary>The versions that may appear in a new deployment: the newest <see cref="WorkerRules.DeployableWindow"/>.</summary>
    public IEnumerable<WorkerVersion> DeployableVersions(WorkerRules? rules = null) =>
        Versions.Skip(Math.Max(0, Versions.Count - (rules ?? WorkerRules.Default).DeployableWindow));

    /// <summary>
    /// A plain deploy: uploads a version and deploys it to 100% in one step. The only way to apply
    /// Durable Object migrations: a new migration tag becomes the Worker's, and the version's classes
    /// become the Worker's classes.
    /// </summary>
    public WorkerHistory Deploy(VersionDraft draft, string? message, DateTimeOffset now, CodeUpdateStrategy? strategy = null)
    {
        ArgumentNullException.ThrowIfNull(draft);
        Check(strategy?.Validate());
        var tags = MigrationTags;
        if (draft.MigrationTag is { } tag && tag != MigrationTag)
        {
            if (MigrationTags.Contains(tag))
            {
                throw Refuse(RuleError.InvalidInput, $"Migration tag '{tag}' was applied to '{WorkerName}' before its current tag '{MigrationTag}': migrations only go forward. Give the new migration a new tag.");
            }

            tags = tags.Add(tag);
        }

        if (draft.SqliteClasses.Intersect(DurableObjectClasses).Except(SqliteClasses) is { Count: > 0 } converted)
        {
            throw Refuse(RuleError.InvalidInput, $"Durable Object class{(converted.Count == 1 ? string.Empty : "es")} {Quoted(converted)} of '{WorkerName}' {(converted.Count == 1 ? "has" : "have")} key-value storage (new_classes): an already-deployed class cannot be converted to SQLite (new_sqlite_classes). Create a new class with new_sqlite_classes instead.");
        }

        var version = NewVersion(draft, VersionSource.Deploy, now);
        return this with
        {
            Versions = Versions.Add(version),
            Deployments = Deployments.Add(NewDeployment(DeploymentSource.Deploy, message, now, new VersionShare(version.Id, 100)) with { CodeUpdateStrategy = strategy }),
            MigrationTags = tags,
            DurableObjectClasses = version.DurableObjectClasses,
            SqliteClasses = SqliteClasses.Union(draft.SqliteClasses).Intersect(version.DurableObjectClasses),
        };
    }

    /// <summary>Uploads a version without deploying it.</summary>
    public WorkerHistory UploadVersion(VersionDraft draft, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (Versions.IsEmpty)
        {
            throw Refuse(RuleError.WorkerNotDeployed, $"Worker '{WorkerName}' has no versions yet: make the first one with a plain deploy (`dosim deploy`), then upload more.");
        }

        if (draft.MigrationTag is { } tag && !MigrationTags.Contains(tag))
        {
            throw Refuse(RuleError.MigrationsNeedFullDeploy, $"The version's Durable Object migrations (tag '{tag}') are not applied yet ('{WorkerName}' is at {(MigrationTag is null ? "no migration tag" : $"tag '{MigrationTag}'")}), and pending migrations cannot be uploaded as a version: apply them with a plain deploy (`dosim deploy --migration-tag {tag}`).");
        }

        if (draft.DurableObjectClasses.Except(DurableObjectClasses) is { Count: > 0 } added)
        {
            throw Refuse(RuleError.MigrationsNeedFullDeploy, $"The version adds Durable Object class{(added.Count == 1 ? string.Empty : "es")} {Quoted(added)}, which '{WorkerName}' does not have yet: a new class needs a migration, and only a plain deploy applies one (`dosim deploy`).");
        }

        return this with { Versions = Versions.Add(NewVersion(draft, VersionSource.Upload, now)) };
    }

    /// <summary>A new deployment of one or two versions. <paramref name="expectedCurrentDeployment"/>, when given, must be the current deployment.</summary>
    public WorkerHistory DeployVersions(IReadOnlyList<VersionShare> shares, string? message, DateTimeOffset now, Guid? expectedCurrentDeployment = null, WorkerRules? rules = null, CodeUpdateStrategy? strategy = null)
    {
        ArgumentNullException.ThrowIfNull(shares);
        CheckExpected(expectedCurrentDeployment);
        Check(ValidateShares(shares, rules));
        Check(strategy?.Validate());
        return this with { Deployments = Deployments.Add(NewDeployment(DeploymentSource.VersionsDeploy, message, now, [.. shares]) with { CodeUpdateStrategy = strategy }) };
    }

    /// <summary>
    /// The version an upload with this key made, when it is the latest one: a retried request finds
    /// it instead of making another. Once another version came after it, the same bytes again are a
    /// new upload.
    /// </summary>
    public WorkerVersion? FindUpload(string? uploadKey) =>
        uploadKey is not null && LatestVersion is { } latest && latest.UploadKey == uploadKey ? latest : null;

    /// <summary>
    /// A new version that is the latest one with some secrets changed (a null value deletes one), not
    /// deployed (the platform's <c>versions secret put</c>): it keeps the latest version's code and may carry a tag.
    /// </summary>
    public WorkerHistory UploadSecretVersion(IReadOnlyDictionary<string, string?> changes, string? message, string? tag, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (LatestVersion is not { } latest)
        {
            throw Refuse(RuleError.NoVersions, $"There are currently no uploaded versions of '{WorkerName}'. Please upload a version before modifying a secret.");
        }

        var secrets = latest.Secrets;
        foreach (var (name, value) in changes)
        {
            Check(SecretNames.Validate(name));
            if (value is not null)
            {
                secrets = secrets.SetItem(name, value);
            }
            else if (secrets.ContainsKey(name))
            {
                secrets = secrets.Remove(name);
            }
            else
            {
                throw Refuse(RuleError.InvalidInput, $"Worker '{WorkerName}' has no secret named '{name}' to delete. Its secrets: {(latest.Secrets.IsEmpty ? "none" : string.Join(", ", latest.Secrets.Keys))}.");
            }
        }

        return this with { Versions = Versions.Add(SecretCopy(latest, secrets, tag, message, now)) };
    }

    /// <summary>The refusal a deployment of these shares would get, or null when it is valid.</summary>
    public RuleError? ValidateShares(IReadOnlyList<VersionShare> shares, WorkerRules? rules = null)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (Versions.IsEmpty)
        {
            return new(RuleError.WorkerNotDeployed, $"Worker '{WorkerName}' has no versions yet: make the first one with a plain deploy (`dosim deploy`).");
        }

        if (shares.Count is < 1 or > 2)
        {
            return new(RuleError.VersionCount, $"A deployment has 1 or 2 versions, not {shares.Count}: name each as <version>@<percent>%.");
        }

        foreach (var share in shares)
        {
            if (share.Percentage is < 0 or > 100)
            {
                return new(RuleError.PercentageOutOfRange, $"Version {share.VersionId} has {share.Percentage}%: each percentage is between 0 and 100.");
            }

            if (decimal.Round(share.Percentage, 3) != share.Percentage)
            {
                return new(RuleError.PercentagePrecision, $"Version {share.VersionId} has {share.Percentage}%: percentages have at most 3 decimals (e.g. 12.345).");
            }
        }

        if (shares.Count == 2 && shares[0].VersionId == shares[1].VersionId)
        {
            return new(RuleError.DuplicateVersion, $"Version {shares[0].VersionId} is listed twice: a version may appear once in a deployment.");
        }

        rules ??= WorkerRules.Default;
        var deployable = DeployableVersions(rules).Select(v => v.Id).ToHashSet();
        foreach (var share in shares)
        {
            if (FindVersion(share.VersionId) is not { } version)
            {
                return new(RuleError.UnknownVersion, $"Worker '{WorkerName}' has no version {share.VersionId}. List them with `dosim versions list`.");
            }

            if (!deployable.Contains(share.VersionId))
            {
                return OutsideWindow(share.VersionId, rules);
            }

            if (MissingClasses(version) is { } missing)
            {
                return missing;
            }
        }

        var sum = shares.Sum(s => s.Percentage);
        if (Math.Abs(sum - 100) > SumTolerance)
        {
            return new(RuleError.PercentageSum, $"The percentages add up to {sum}%, not 100%: adjust them so they sum to 100.");
        }

        if (shares.Count == 2)
        {
            foreach (var share in shares)
            {
                var version = FindVersion(share.VersionId)!;
                if (version.HasMtlsBinding)
                {
                    return new(RuleError.MtlsInSplit, $"Version {version.Id} has an mTLS binding and cannot be part of a split deployment: deploy it alone at 100%.");
                }

                if (version.UsesSmartPlacement)
                {
                    return new(RuleError.SmartPlacementInSplit, $"Version {version.Id} uses Smart Placement, which gradual deployments do not support: deploy it alone at 100%.");
                }
            }
        }

        return null;
    }

    /// <summary>
    /// A new deployment of one earlier version at 100%. With no version named, the target is the
    /// newest earlier deployment that had a single version at 100% and would change something.
    /// </summary>
    public WorkerHistory Rollback(Guid? versionId, string? message, DateTimeOffset now, Guid? expectedCurrentDeployment = null, WorkerRules? rules = null, CodeUpdateStrategy? strategy = null)
    {
        CheckExpected(expectedCurrentDeployment);
        Check(strategy?.Validate());
        var target = RollbackTarget(versionId, rules);
        return this with { Deployments = Deployments.Add(NewDeployment(DeploymentSource.Rollback, message, now, new VersionShare(target.Id, 100)) with { CodeUpdateStrategy = strategy }) };
    }

    /// <summary>The version a rollback would deploy.</summary>
    public WorkerVersion RollbackTarget(Guid? versionId, WorkerRules? rules = null)
    {
        if (CurrentDeployment is not { } current)
        {
            throw Refuse(RuleError.WorkerNotDeployed, $"Worker '{WorkerName}' has no deployment to roll back from: deploy it first.");
        }

        WorkerVersion target;
        if (versionId is { } id)
        {
            target = GetVersion(id);
        }
        else
        {
            var earlier = Deployments.Take(Deployments.Count - 1).Reverse()
                .FirstOrDefault(d => d.IsSingleVersion && !(current.IsSingleVersion && current.Versions[0].VersionId == d.Versions[0].VersionId));
            target = earlier is null
                ? throw Refuse(RuleError.NoRollbackTarget, $"Worker '{WorkerName}' has no earlier deployment of a single version at 100% to roll back to: name a version (`dosim rollback <version-id>`).")
                : GetVersion(earlier.Versions[0].VersionId);
        }

        rules ??= WorkerRules.Default;
        if (!DeployableVersions(rules).Contains(target))
        {
            throw new RuleViolationException(OutsideWindow(target.Id, rules));
        }

        Check(MissingClasses(target));
        return target;
    }

    /// <summary>Puts a secret: a new version (a copy of the latest one) deployed at 100%.</summary>
    public WorkerHistory PutSecret(string name, string value, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(value);
        Check(SecretNames.Validate(name));
        var latest = CheckSecretsChangeable();
        return WithSecrets(latest, latest.Secrets.SetItem(name, value), $"Secret change: put {name}", now);
    }

    /// <summary>Deletes a secret: a new version (a copy of the latest one) deployed at 100%.</summary>
    public WorkerHistory DeleteSecret(string name, DateTimeOffset now)
    {
        var latest = CheckSecretsChangeable();
        if (!latest.Secrets.ContainsKey(name))
        {
            throw Refuse(RuleError.InvalidInput, $"Worker '{WorkerName}' has no secret named '{name}'. Its secrets: {(latest.Secrets.IsEmpty ? "none" : string.Join(", ", latest.Secrets.Keys))}.");
        }

        return WithSecrets(latest, latest.Secrets.Remove(name), $"Secret change: delete {name}", now);
    }

    private WorkerVersion CheckSecretsChangeable()
    {
        if (LatestVersion is not { } latest || CurrentDeployment is not { } current)
        {
            throw Refuse(RuleError.WorkerNotDeployed, $"Worker '{WorkerName}' has no versions yet: deploy it first (`dosim deploy`).");
        }

        if (!current.IsSingleVersion || current.Versions[0].VersionId != latest.Id)
        {
            throw Refuse(RuleError.SecretsNeedLatestDeployed, $"Secrets of '{WorkerName}' cannot change while a split deployment is active or the latest version ({latest.Id}) is not the deployed one: deploy the latest version to 100% first (`dosim versions deploy {latest.Id}@100%`).");
        }

        return latest;
    }

    /// <summary>Each tagged version's tag, by id.</summary>
    public ImmutableDictionary<Guid, string> Tags() => Versions.Where(v => v.Tag is not null).ToImmutableDictionary(v => v.Id, v => v.Tag!);

    /// <summary>The same history with every secret value blanked: what leaves the cluster.</summary>
    public WorkerHistory WithoutSecretValues() => this with
    {
        Versions = Versions.ConvertAll(v => v.WithoutSecretValues()),
    };

    // A secret change is the same code with new secrets: it applies no migration, and it carries no
    // tag, so a tag keeps naming the one version it was given to.
    private WorkerHistory WithSecrets(WorkerVersion latest, ImmutableSortedDictionary<string, string> secrets, string message, DateTimeOffset now)
    {
        var version = SecretCopy(latest, secrets, null, message, now);
        return this with
        {
            Versions = Versions.Add(version),
            Deployments = Deployments.Add(NewDeployment(DeploymentSource.Secret, message, now, new VersionShare(version.Id, 100))),
        };
    }

    // The latest version's code with other secrets: a version of its own, of the secret source.
    private static WorkerVersion SecretCopy(WorkerVersion latest, ImmutableSortedDictionary<string, string> secrets, string? tag, string? message, DateTimeOffset now) => latest with
    {
        Id = Guid.NewGuid(),
        Number = latest.Number + 1,
        CreatedOn = now,
        Source = VersionSource.Secret,
        Tag = tag,
        Message = message,
        Secrets = secrets,
        UploadKey = null,
    };

    private WorkerVersion NewVersion(VersionDraft draft, VersionSource source, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (string.IsNullOrWhiteSpace(draft.Script))
        {
            throw Refuse(RuleError.InvalidInput, "A version needs a script: name one of the scripts registered on the silo (e.g. 'hello' or 'counter').");
        }

        if (draft.Code is { } code && WorkerCode.Validate(code.Modules) is { } invalid)
        {
            throw new RuleViolationException(invalid);
        }

        foreach (var name in draft.Vars.Keys)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw Refuse(RuleError.InvalidInput, "A var needs a name: write vars as NAME=value.");
            }
        }

        var secrets = LatestVersion?.Secrets ?? ImmutableSortedDictionary<string, string>.Empty;
        foreach (var (name, value) in draft.Secrets)
        {
            Check(SecretNames.Validate(name));
            secrets = secrets.SetItem(name, value);
        }

        return new WorkerVersion
        {
            Id = Guid.NewGuid(),
            Number = Versions.Count + 1,
            CreatedOn = now,
            Script = draft.Script,
            Code = draft.Code,
            Tag = draft.Tag,
            Message = draft.Message,
            Source = source,
            Vars = draft.Vars,
            Secrets = secrets,
            DurableObjectClasses = draft.DurableObjectClasses,
            MigrationTag = draft.MigrationTag,
            HasMtlsBinding = draft.HasMtlsBinding,
            UsesSmartPlacement = draft.UsesSmartPlacement,
            UploadKey = draft.UploadKey,
        };
    }

    private static Deployment NewDeployment(DeploymentSource source, string? message, DateTimeOffset now, params ImmutableArray<VersionShare> shares) =>
        new() { Id = Guid.NewGuid(), CreatedOn = now, Message = message, Source = source, Versions = shares };

    private void CheckExpected(Guid? expected)
    {
        if (expected is { } id && CurrentDeployment?.Id != id)
        {
            throw Refuse(RuleError.DeploymentConflict, $"Deployment {id} is no longer the current deployment of '{WorkerName}' (it is now {CurrentDeployment?.Id.ToString() ?? "none"}): another deploy got there first. Check `dosim deployments status` and try again.");
        }
    }

    private RuleError OutsideWindow(Guid id, WorkerRules rules) =>
        new(RuleError.OutsideDeployableWindow, $"Version {id} is not among the last {rules.DeployableWindow} versions of '{WorkerName}', and only those can be deployed: upload it again as a new version.");

    // The Worker's objects keep running whatever version a deployment assigns them: a version
    // without one of their classes could not build them.
    private RuleError? MissingClasses(WorkerVersion version) =>
        DurableObjectClasses.Except(version.DurableObjectClasses) is { Count: > 0 } missing
            ? new(RuleError.MissingDurableObjectClass, $"Version {version} has no Durable Object class {Quoted(missing)}, which the objects of '{WorkerName}' belong to, so it could not run them: deploy only versions that export {Quoted(DurableObjectClasses)}. (The platform removes a class only with a deleted_classes migration, which dosim does not simulate.)")
            : null;

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));

    private static void Check(RuleError? error)
    {
        if (error is not null)
        {
            throw new RuleViolationException(error);
        }
    }

    private static RuleViolationException Refuse(int code, string message) => new(new RuleError(code, message));
}
