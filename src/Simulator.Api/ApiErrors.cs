namespace Simulator.Api;

/// <summary>
/// The error codes the API answers with: the platform's where wrangler depends on one (10000,
/// 10007, 10021, 10211, 10215, 10222), dosim's own (901xx) for the rest. docs/api.md lists them.
/// </summary>
public static class ApiErrors
{
    /// <summary>The platform's authentication error.</summary>
    public const int Authentication = 10000;

    /// <summary>The platform's "This Worker does not exist on your account.": wrangler's not-found test.</summary>
    public const int WorkerNotFound = 10007;

    /// <summary>The platform's script validation error (a bad upload).</summary>
    public const int ScriptInvalid = Core.RuleError.ScriptLoadFailed;

    public const int InvalidRequest = 90100;
    public const int MalformedJson = 90101;
    public const int UnknownRoute = 90102;
    public const int MethodNotAllowed = 90103;
    public const int BodyTooLarge = 90104;
    public const int NotSimulated = 90105;
    public const int ClusterUnavailable = 90107;
    public const int Internal = 90108;

    public static ApiException WorkerMissing(string name) =>
        new(404, WorkerNotFound, $"This Worker does not exist on your account. (dosim has no Worker '{name}': create it with `wrangler deploy` or `dosim deploy`.)");

    public static ApiException NotSimulatedBy(string what, string? fix = null) =>
        new(400, NotSimulated, fix is null ? $"{what} is not simulated by dosim." : $"{what} is not simulated by dosim. {fix}");
}
