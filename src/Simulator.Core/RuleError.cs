namespace Simulator.Core;

/// <summary>
/// Why a change to a Worker was refused. Codes are stable: the platform's numbers where it has
/// one (10211, 10215), 900xx for the simulator's own refusals. Messages say how to fix it.
/// </summary>
public sealed record RuleError(int Code, string Message)
{
    public const int WorkerNotDeployed = 90001;
    public const int VersionCount = 90002;
    public const int PercentageOutOfRange = 90003;
    public const int PercentagePrecision = 90004;
    public const int PercentageSum = 90005;
    public const int DuplicateVersion = 90006;
    public const int UnknownVersion = 90007;
    public const int OutsideDeployableWindow = 90008;
    public const int MtlsInSplit = 90009;
    public const int SmartPlacementInSplit = 90010;
    public const int NoRollbackTarget = 90011;
    public const int InvalidInput = 90012;
    public const int DeploymentConflict = 90013;
    public const int AmbiguousVersion = 90014;
    public const int MissingDurableObjectClass = 90015;

    /// <summary>Platform 10211: Durable Object migrations only through a full deploy.</summary>
    public const int MigrationsNeedFullDeploy = 10211;

    /// <summary>The platform's "script failed to load" at upload (an uncaught error, a missing module or export).</summary>
    public const int ScriptLoadFailed = 10021;

    /// <summary>Platform 10215: secrets only while the latest version is deployed at 100%.</summary>
    public const int SecretsNeedLatestDeployed = 10215;

    /// <summary>Platform 10222: a secret version needs a version to copy.</summary>
    public const int NoVersions = 10222;

    public override string ToString() => $"{Message} [code: {Code}]";
}

/// <summary>Thrown when a rule refuses a change; nothing was changed.</summary>
public sealed class RuleViolationException(RuleError error) : Exception(error?.ToString())
{
    public RuleError Error { get; } = error ?? throw new ArgumentNullException(nameof(error));
}
