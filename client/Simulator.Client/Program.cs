using System.CommandLine;
using Simulator.Client;

var root = new RootCommand("dosim: simulate gradual deployments of Workers and Durable Objects on an Orleans cluster.");
CommonOptions.AddTo(root);
root.Subcommands.Add(VersionCommands.Deploy());
root.Subcommands.Add(VersionCommands.Versions());
root.Subcommands.Add(VersionCommands.Deployments());
root.Subcommands.Add(VersionCommands.Rollback());
root.Subcommands.Add(VersionCommands.Secret());
root.Subcommands.Add(TrafficCommands.Request());
root.Subcommands.Add(TrafficCommands.Traffic());
root.Subcommands.Add(TrafficCommands.Objects());
root.Subcommands.Add(TrafficCommands.Silos());
root.Subcommands.Add(ClockCommands.Clock());
root.Subcommands.Add(TelemetryCommands.Analytics());
root.Subcommands.Add(TelemetryCommands.Tail());
root.Subcommands.Add(ScenarioCommand.Create());
return await root.Parse(args).InvokeAsync();
