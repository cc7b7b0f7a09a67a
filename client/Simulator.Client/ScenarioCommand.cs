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
        return new Command("scenario", "Run a scripted scenario.") { durableObjects };
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
