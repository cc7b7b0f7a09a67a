using System.CommandLine;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Client;

/// <summary>Options every command shares, and the way every command runs and fails.</summary>
internal static class CommonOptions
{
    public static readonly Option<string> Name = new("--name", "-n", "--worker")
    {
        Description = "The Worker's name (env DOSIM_WORKER).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DOSIM_WORKER") ?? "my-worker",
        Recursive = true,
    };

    public static readonly Option<string> ClusterEndpoints = new("--cluster")
    {
        Description = "Gateway endpoints of the cluster, host:port[,host:port…], or redis://host:port to find them in Redis (env DOSIM_CLUSTER).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DOSIM_CLUSTER") ?? Cluster.DefaultEndpoints,
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of text." };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Name);
        root.Options.Add(ClusterEndpoints);
    }

    /// <summary>
    /// Runs a command against the cluster, turning every failure into one line on stderr and an exit
    /// code; <paramref name="embeddedSilo"/> configures the embedded silo, when one is started, and
    /// <paramref name="check"/> checks the command's own input before any cluster is reached.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1068", Justification = "Same order as System.CommandLine's SetAction((parse, ct) => …).")]
    public static async Task<int> Run(ParseResult parse, CancellationToken cancellation, Func<Cluster, Task> action, bool embeddedUnlessClusterGiven = false, Action<Grains.Hosting.DurableObjectsSimulatorOptions>? embeddedSilo = null, Action? check = null)
    {
        try
        {
            CheckName(parse);
            check?.Invoke();
            var endpoints = parse.GetValue(ClusterEndpoints)!;
            var embedded = embeddedUnlessClusterGiven && parse.GetResult(ClusterEndpoints) is null or { Implicit: true } && Environment.GetEnvironmentVariable("DOSIM_CLUSTER") is null;
            await using var cluster = embedded ? await Cluster.StartEmbeddedAsync(cancellation, embeddedSilo) : await Cluster.ConnectAsync(endpoints, cancellation);
            await action(cluster);
            return ExitCodes.Ok;
        }
        catch (Exception ex)
        {
            var (code, message) = Describe(ex);
            await Console.Error.WriteLineAsync("✘ " + message);
            return code;
        }
    }

    /// <summary>A bad name is a usage error with the naming rule, before anything is asked of the cluster.</summary>
    public static string CheckName(ParseResult parse)
    {
        var name = parse.GetValue(Name)!;
        return WorkerNames.Validate(name) is { } invalid ? throw new CliException(ExitCodes.Usage, invalid.Message) : name;
    }

    private static (int Code, string Message) Describe(Exception ex) => ex switch
    {
        CliException cli => (cli.ExitCode, cli.Message),
        RuleRefusedException { Code: RuleError.DeploymentConflict } conflict => (ExitCodes.Conflict, conflict.Message),
        RuleRefusedException refused => (ExitCodes.Refused, refused.Message),
        RuleViolationException violation => (violation.Error.Code == RuleError.DeploymentConflict ? ExitCodes.Conflict : ExitCodes.Refused, violation.Message),
        WorkerNotDeployedException missing => (ExitCodes.Refused, missing.Message),
        HttpRequestException http => (ExitCodes.Unreachable, $"Cannot reach the HTTP gateway ({http.Message}). Is a silo running? Pass --http http://127.0.0.1:<port>."),
        OrleansException orleans => (ExitCodes.Unreachable, $"The cluster did not answer: {orleans.GetBaseException().Message}"),
        TimeoutException timeout => (ExitCodes.Unreachable, $"The cluster did not answer in time: {timeout.Message}"),
        OperationCanceledException => (ExitCodes.Refused, "Cancelled."),
        _ => (ExitCodes.Refused, ex.GetBaseException().Message),
    };
}
