using System.CommandLine;
using System.Globalization;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Client;

/// <summary>The docs' rollout A100 → B20/A80 → B50/A50 → B100 on foo, bar and baz, printed as the docs' table.</summary>
internal static class ScenarioCommand
{
    public static Command Create()
    {
        var codeUpdate = new Option<string>("--code-update")
        {
            Description = "The code update strategy of each step's deploy. Default: immediate, so each object runs its assigned version at once, as the docs' table shows. With deferred[=<delay>] (the platform's default, 300 s) an object the scenario keeps busy stays on its old code until the delay passes.",
            DefaultValueFactory = _ => CodeUpdateStrategy.Immediate,
        };
        var durableObjects = new Command("durable-objects", "Run the docs' Durable Objects rollout and print which version each object ran at each step, and its resets. Runs on an embedded silo unless --cluster is given.") { codeUpdate };
        durableObjects.SetAction((parse, ct) => CommonOptions.Run(parse, ct, cluster => RunAsync(cluster, parse.GetResult(CommonOptions.Name) is null or { Implicit: true } && Environment.GetEnvironmentVariable("DOSIM_WORKER") is null ? $"do-scenario-{Guid.NewGuid().ToString("N")[..6]}" : parse.GetValue(CommonOptions.Name)!, VersionCommands.ParseStrategy(parse.GetValue(codeUpdate)!)), embeddedUnlessClusterGiven: true));
        return new Command("scenario", "Run a scripted scenario.") { durableObjects, Replay() };
    }

    private static Command Replay()
    {
        var objects = new Option<int>("--objects") { Description = "How many objects (o0, o1, …) get traffic.", DefaultValueFactory = _ => 100 };
        var deploys = new Option<int>("--deploys") { Description = "How many deploys follow v1, each a new version at 100%.", DefaultValueFactory = _ => 5 };
        var every = new Option<string>("--every") { Description = "Virtual time between deploys (whole seconds: 30s, 10m, 1h); the replay runs one more after the last.", DefaultValueFactory = _ => "10m" };
        var requestEvery = new Option<string>("--request-every") { Description = "Virtual time between two requests to the same object. Under 10s keeps every object busy (it never idles long enough to hibernate); over it, objects hibernate between requests and take new code as they wake.", DefaultValueFactory = _ => "5s" };
        var codeUpdate = new Option<string?>("--code-update") { Description = "Each deploy's code update strategy: immediate, or deferred[=<delay>]. Default: none given, so the platform's default (deferred, 300 s)." };
        var command = new Command("replay", "Replay a rollout on the virtual clock: v1, then a deploy every --every, with steady traffic to every object; print each deploy's resets and deferrals, each version's time and calls, each object's resets, and the version skew matrix. Runs on an embedded silo with a virtual clock unless --cluster is given (then the silos need --clock virtual).")
        {
            objects, deploys, every, requestEvery, codeUpdate,
        };
        command.SetAction((parse, ct) =>
        {
            var name = parse.GetResult(CommonOptions.Name) is null or { Implicit: true } && Environment.GetEnvironmentVariable("DOSIM_WORKER") is null
                ? $"replay-{Guid.NewGuid().ToString("N")[..6]}"
                : parse.GetValue(CommonOptions.Name)!;
            ReplayPlan? plan = null;
            CodeUpdateStrategy? strategy = null;
            return CommonOptions.Run(
                parse,
                ct,
                cluster => ReplayAsync(cluster, name, plan!, strategy, ct),
                embeddedUnlessClusterGiven: true,
                embeddedSilo: o => o.VirtualClockStart = new DateTimeOffset(DateTimeOffset.UtcNow.Date, TimeSpan.Zero),
                check: () =>
                {
                    plan = new ReplayPlan(parse.GetValue(objects), parse.GetValue(deploys), ClockCommands.ParseDuration(parse.GetValue(every)!), ClockCommands.ParseDuration(parse.GetValue(requestEvery)!));
                    if (plan.Validate() is { } invalid)
                    {
                        throw new CliException(ExitCodes.Usage, invalid.Message);
                    }

                    strategy = parse.GetValue(codeUpdate) is { } text ? VersionCommands.ParseStrategy(text) : null;
                });
        });
        return command;
    }

    private static async Task ReplayAsync(Cluster cluster, string name, ReplayPlan plan, CodeUpdateStrategy? strategy, CancellationToken cancellation)
    {
        static string Clock(TimeSpan at) => at.ToString(at.TotalDays >= 1 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture);
        var replay = new Grains.Scenarios.RolloutReplay(cluster.Grains, name, plan, strategy);
        var effective = strategy ?? CodeUpdateStrategy.PlatformDefault;
        Console.WriteLine($"Replay of worker {name} on {cluster.Description}, on its virtual clock");
        Console.WriteLine($"{plan.Objects:N0} objects, a request to each every {plan.RequestEvery.TotalSeconds:0} s; v1, then {plan.Deploys} deploys {Clock(plan.Every)} apart, {Clock(replay.Plan.Length)} in all; code update {effective.Describe()}{(strategy is null ? " (none given: the platform's default)" : string.Empty)}");
        Console.WriteLine();
        Console.WriteLine("Time      Version  Reset at once  Deferred  Switch by");
        var report = await replay.RunAsync(
            step => Console.WriteLine($"{Clock(step.At),-9} {step.Version.Tag,-8} {step.ResetNow,13:N0}  {step.Deferred,8:N0}  {(step is { Deferred: > 0, SwitchBy: { } by } ? Clock(by) : "-")}"),
            cancellation);
        Console.WriteLine();
        var total = report.Versions.Aggregate(TimeSpan.Zero, (sum, v) => sum + v.ObjectTime);
        Output.Table(
            ["Version", "Objects that ran it", "Object-time", "Share", "Calls", "Errors"],
            report.Versions.Select(v => (IReadOnlyList<string>)[
                v.Version.Tag ?? v.Version.Id.ToString(), v.Objects.ToString("N0", CultureInfo.InvariantCulture),
                v.ObjectTime.TotalHours.ToString("N1", CultureInfo.InvariantCulture) + " h", total > TimeSpan.Zero ? Output.Percent(v.ObjectTime / total) : "-",
                v.Calls.ToString("N0", CultureInfo.InvariantCulture), v.Errors.ToString("N0", CultureInfo.InvariantCulture)]));
        Console.WriteLine();
        var resets = report.ResetsPerObject;
        Console.WriteLine($"Resets: {resets.Sum():N0} ({resets.Min()} to {resets.Max()} per object); {report.ResetsWhileActive:N0} while running, {report.ResetsOnWaking:N0} as the object woke");
        Console.WriteLine($"Requests: {report.Requests:N0}, errors {report.Errors:N0}");
        Console.WriteLine();
        Console.WriteLine("Version skew: calls by the Worker's version and the version the object ran");
        var deployed = report.Steps.ToDictionary(s => s.DeploymentId);
        string Tag(Guid id) => report.Analytics.Tags.TryGetValue(id, out var tag) ? tag : id.ToString();
        Output.Table(
            ["Deployment", "Worker", "Object", "Calls", "Errors", "Error rate", ""],
            report.Analytics.Skew.OrderBy(c => deployed.TryGetValue(c.DeploymentId, out var s) ? s.At : TimeSpan.MaxValue).ThenBy(c => Tag(c.ObjectVersionId), StringComparer.Ordinal).Select(c => (IReadOnlyList<string>)[
                deployed.TryGetValue(c.DeploymentId, out var step) ? $"{step.Version.Tag} at {Clock(step.At)}" : c.DeploymentId.ToString(),
                Tag(c.CallerVersionId), Tag(c.ObjectVersionId),
                c.Requests.ToString("N0", CultureInfo.InvariantCulture), c.Errors.ToString("N0", CultureInfo.InvariantCulture),
                c.ErrorRate is { } rate ? Output.Percent(rate) : "-", c.Skewed ? "skewed" : string.Empty]));
        Console.WriteLine();
        Console.WriteLine($"Replayed {Clock(replay.Plan.Length)} of virtual time in {report.Wall.TotalSeconds:0.0} s of wall time.");
    }

    private static async Task RunAsync(Cluster cluster, string name, CodeUpdateStrategy strategy)
    {
        Console.WriteLine($"Durable Objects gradual deployment on {cluster.Description}, worker {name}");
        Console.WriteLine(strategy.Delay == TimeSpan.Zero
            ? $"Code update: {strategy.Describe()} (each object takes its assigned version at once, as in the docs' table; --code-update deferred for the platform's default)"
            : $"Code update: {strategy.Describe()} (an object kept busy keeps its old code until it idles 10 s or the delay passes)");
        var deployments = cluster.Grains.GetGrain<IDeploymentGrain>(name);
        var a = (await deployments.Deploy(new VersionDraft { Script = "counter", Tag = "A" }, "scenario: version A", null)).Version;
        var b = await deployments.UploadVersion(new VersionDraft { Script = "counter", Tag = "B" });
        Console.WriteLine($"Version A: {a.Id}");
        Console.WriteLine($"Version B: {b.Id}");
        Console.WriteLine();

        var ids = new Dictionary<string, Guid> { ["A"] = a.Id, ["B"] = b.Id };
        var objects = RolloutTable.DocsObjects;
        var rows = new List<(string Config, IReadOnlyList<string> Cells)>();
        foreach (var step in RolloutTable.DocsRollout)
        {
            if (rows.Count > 0)
            {
                await deployments.DeployVersions([.. step.Select(s => new VersionShare(ids[s.Label], s.Percentage))], "scenario: " + RolloutTable.Config(step), null, strategy);
            }

            var cells = new List<string>();
            foreach (var objectName in objects)
            {
                var result = await cluster.Grains.GetGrain<IWorkerGrain>(name).Invoke(WorkerRequest.Get($"https://{name}.localhost/{objectName}"));
                cells.Add(result.DurableObjectVersionId == a.Id ? "A" : result.DurableObjectVersionId == b.Id ? "B" : "?");
            }

            rows.Add((RolloutTable.Config(step), cells));
        }

        Console.Write(RolloutTable.Render(rows, objects));
        Console.WriteLine();
        foreach (var objectName in objects)
        {
            var status = await cluster.Grains.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format(name, "Counter", DurableObjectId.FromName(RolloutTable.DocsClass, objectName))).GetStatus();
            Console.WriteLine($"\"{objectName}\": reset {status.ResetCount.ToString(CultureInfo.InvariantCulture)} time{(status.ResetCount == 1 ? string.Empty : "s")}");
        }
    }
}
