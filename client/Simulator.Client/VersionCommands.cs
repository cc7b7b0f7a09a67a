using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Workers;

namespace Simulator.Client;

/// <summary>deploy, versions, deployments, rollback, secret: shaped after the platform's CLI.</summary>
internal static class VersionCommands
{
    private static readonly Option<string> Script = new("--script") { Description = "The registered script the version runs (hello, counter, or one of yours).", DefaultValueFactory = _ => "hello" };
    private static readonly Option<string?> Tag = new("--tag") { Description = "A tag for the version." };
    private static readonly Option<string?> Message = new("--message", "-m") { Description = "A message for the version or deployment." };
    private static readonly Option<string[]> Vars = new("--var") { Description = "A var, NAME=value (repeat for more)." };
    private static readonly Option<string?> MigrationTag = new("--migration-tag") { Description = "The tag the version's Durable Object migrations end at (wrangler's new_tag); a plain deploy applies a new one." };
    private static readonly Option<bool> Mtls = new("--mtls") { Description = "The version has an mTLS binding." };
    private static readonly Option<bool> SmartPlacement = new("--smart-placement") { Description = "The version uses Smart Placement." };
    private static readonly Option<string[]> Modules = new("--module") { Description = "A module of your own bundled Worker, the main one first (repeat for more), e.g. --module dist/index.js." };
    private static readonly Option<string?> Config = new("--config", "-c") { Description = "Your wrangler configuration (wrangler.toml, wrangler.json or wrangler.jsonc): vars, Durable Object bindings, migrations, services, version_metadata." };
    private static readonly Option<bool> Yes = new("--yes", "-y") { Description = "Do not ask for confirmation (dosim never asks; accepted for the platform's scripts)." };
    private static readonly Option<string?> CodeUpdate = new("--code-update", "--durable-objects-code-update-mode")
    {
        Description = "How active Durable Objects take the new code: immediate (reset at once), or deferred[=<delay>] (each keeps its code until it hibernates, or the delay passes: 300 s when not given, at most 24h, e.g. deferred=30s; wrangler's spelling \"deferred 30s\" too). Default: deferred=300s, the platform's default (as wrangler sends it); give immediate to reset every active object at once.",
    };

    // A plain deploy's strategy: --code-update, else the configuration's durable_objects.code_update_strategy.
    private static CodeUpdateStrategy? DeployStrategy(ParseResult parse)
    {
        try
        {
            return Strategy(parse) ?? (parse.GetValue(Config) is { } config ? WranglerConfig.Read(config).DurableObjectsCodeUpdate() : null);
        }
        catch (WorkerProjectException ex)
        {
            throw new CliException(ExitCodes.Usage, ex.Message);
        }
    }

    // The deployment's code update strategy from --code-update; bad spelling is bad usage.
    private static CodeUpdateStrategy? Strategy(ParseResult parse)
    {
        return parse.GetValue(CodeUpdate) is { } text ? ParseStrategy(text) : null;
    }

    /// <summary>A <c>--code-update</c> value; bad spelling is bad usage.</summary>
    internal static CodeUpdateStrategy ParseStrategy(string text)
    {
        try
        {
            return CodeUpdateStrategy.Parse(text);
        }
        catch (RuleViolationException ex)
        {
            throw new CliException(ExitCodes.Usage, $"--code-update: {ex.Error.Message}");
        }
    }

    public static Command Deploy()
    {
        var command = new Command("deploy", "Upload a version and deploy it to 100% in one step (how a Worker gets its first version, and the only way to apply migrations).") { CodeUpdate };
        AddDraftOptions(command);
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var name = parse.GetValue(CommonOptions.Name)!;
            var result = await Grain(cluster, name).Deploy(await WithoutStoredAssetsAsync(cluster, Draft(parse)), parse.GetValue(Message), DeployStrategy(parse));
            Console.WriteLine($"Uploaded {name}");
            Console.WriteLine($"Deployed {name} version {result.Version.Id} at 100%");
            Console.WriteLine($"Current Version ID: {result.Version.Id}");
            Output.Propagation(result.Propagation);
        }));
        return command;
    }

    public static Command Versions()
    {
        var upload = new Command("upload", "Upload a new version without deploying it.");
        AddDraftOptions(upload);
        upload.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var version = await Grain(cluster, parse.GetValue(CommonOptions.Name)!).UploadVersion(await WithoutStoredAssetsAsync(cluster, Draft(parse)));
            Console.WriteLine($"Worker Version ID: {version.Id}");
        }));

        var list = new Command("list", "List the Worker's versions, oldest first (as wrangler prints them).") { CommonOptions.Json };
        list.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var history = await History(cluster, parse.GetValue(CommonOptions.Name)!);
            var versions = history.Versions;
            if (parse.GetValue(CommonOptions.Json))
            {
                Output.WriteJson(new System.Text.Json.Nodes.JsonArray([.. versions.Select(v => (System.Text.Json.Nodes.JsonNode?)Output.VersionJson(v))]));
                return;
            }

            foreach (var version in versions)
            {
                Output.Version(version);
                Console.WriteLine();
            }
        }));

        var versionArgument = new Argument<string>("version") { Description = "A version id, a unique tag, or 'latest'." };
        var view = new Command("view", "Show one version.") { versionArgument, CommonOptions.Json };
        view.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var version = await Query(cluster, parse.GetValue(CommonOptions.Name)!).Version(parse.GetValue(versionArgument)!);
            if (parse.GetValue(CommonOptions.Json))
            {
                Output.WriteJson(Output.VersionJson(version));
            }
            else
            {
                Output.Version(version);
            }
        }));

        return new Command("versions", "Upload, list, view and deploy versions.") { upload, list, view, VersionsDeploy() };
    }

    private static Command VersionsDeploy()
    {
        var specs = new Argument<string[]>("version-specs") { Description = "<version-id|tag>@<percent>%, one or two, in order, e.g. B@20% A@80%.", Arity = ArgumentArity.OneOrMore };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate and preview which objects would reset; change nothing." };
        var expect = new Option<Guid?>("--expect") { Description = "The deployment id this one must replace; if another deploy got there first, refuse (exit 3)." };
        var command = new Command("deploy", "Deploy one or two versions with percentages.") { specs, Message, dryRun, expect, CodeUpdate, Yes, CommonOptions.Json };
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var name = parse.GetValue(CommonOptions.Name)!;
            var given = VersionSpec.WithEvenSplit(CheckSpecs(parse.GetValue(specs)!));
            if (parse.GetValue(dryRun))
            {
                Preview(await Query(cluster, name).Preview(given, PreviewListLimit, Strategy(parse)), parse.GetValue(CommonOptions.Json));
                return;
            }

            var shares = await Query(cluster, name).Resolve(given);
            var result = await Grain(cluster, name).DeployVersions(shares, parse.GetValue(Message), parse.GetValue(expect), Strategy(parse));
            if (parse.GetValue(CommonOptions.Json))
            {
                Output.WriteJson(Output.DeploymentResultJson(result));
                return;
            }

            var deployment = result.Deployment;
            Console.WriteLine($"Deployed {name} version(s): {string.Join(", ", deployment.Versions.Select(v => $"{v.VersionId} at {v.Percentage.ToString(CultureInfo.InvariantCulture)}%"))}");
            Console.WriteLine($"Deployment ID: {deployment.Id}");
            Output.Warnings(result.Warnings);
            Output.Propagation(result.Propagation);
        }));
        return command;
    }

    // The dry run lists this many of the objects that would reset; the counts cover them all.
    private const int PreviewListLimit = 1000;

    /// <summary>Checks each spec's syntax ("id@20%", "tag@20", "latest@100%", or "B" for an even share of the rest) before the cluster resolves it.</summary>
    internal static ImmutableArray<string> CheckSpecs(string[] specs)
    {
        foreach (var spec in specs)
        {
            if (!VersionSpec.TryParse(spec, out _) && (spec.Length == 0 || spec.IndexOfAny(['@', '=', '%', ' ']) >= 0))
            {
                throw new CliException(ExitCodes.Usage, $"'{spec}' is not a version spec: write <version-id|tag>@<percent>%, e.g. B@20%.");
            }
        }

        return [.. specs];
    }

    private static void Preview(PreviewReport preview, bool json)
    {
        string Label(Guid id) => preview.Tags.TryGetValue(id, out var tag) ? $"{id} ({tag})" : id.ToString();
        if (json)
        {
            Output.WriteJson(new
            {
                resetShare = preview.ResetShare,
                pairs = preview.Pairs.Select(p => new { from = p.From, to = p.To, share = p.Share }),
                warnings = preview.Warnings,
                objects = preview.Objects,
                activeObjects = preview.ActiveObjects,
                objectsThatReset = preview.Changing,
                activeObjectsThatReset = preview.ChangingActive,
                codeUpdate = preview.CodeUpdate is { } assumed ? new { mode = assumed.Mode, maxDelay = assumed.Delay.TotalSeconds } : null,
                activeObjectsResetNow = preview.Forecast?.ResetNow,
                activeObjectsDeferred = preview.Forecast?.Deferred,
                deferredUntil = preview.Forecast?.DeferredUntil,
                changes = preview.Changes.Select(c => new { className = c.ClassName, id = c.ObjectId, name = c.Name, from = c.From, to = c.To, active = c.IsActive }),
            });
            return;
        }

        Console.WriteLine($"Dry run: nothing was deployed. Share of Durable Objects that would reset: {Output.Percent(preview.ResetShare)}");
        foreach (var pair in preview.Pairs)
        {
            Console.WriteLine($"  {Output.Percent(pair.Share),9}  {Label(pair.From)} -> {Label(pair.To)}");
        }

        Output.Warnings(preview.Warnings);
        Console.WriteLine($"Objects that would reset: {preview.Changing} of {preview.Objects} ({preview.ChangingActive} of the {preview.ActiveObjects} active)");
        if (preview is { CodeUpdate: { } strategy, Forecast: { } forecast })
        {
            Console.WriteLine($"Code update {strategy.Describe()}: {forecast.ResetNow} active reset at once, {forecast.Deferred} keep their code until they hibernate{(forecast.DeferredUntil is { } until ? $", by {Output.Time(until)} at the latest" : string.Empty)}; the others take their new version when they next run");
        }
        foreach (var change in preview.Changes)
        {
            Console.WriteLine($"  {change.ClassName} {change.ObjectId}{(change.Name is null ? string.Empty : $" ({change.Name})")}  {Label(change.From)} -> {Label(change.To)}{(change.IsActive ? "  active" : string.Empty)}");
        }

        if (preview.Changes.Length < preview.Changing)
        {
            Console.WriteLine($"  … and {preview.Changing - preview.Changes.Length} more (--json lists the first {preview.Changes.Length} too)");
        }
    }

    public static Command Deployments()
    {
        var list = new Command("list", "List the Worker's deployments, oldest first (as wrangler prints them).") { CommonOptions.Json };
        list.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var history = await History(cluster, parse.GetValue(CommonOptions.Name)!);
            var deployments = history.Deployments;
            if (parse.GetValue(CommonOptions.Json))
            {
                Output.WriteJson(new System.Text.Json.Nodes.JsonArray([.. deployments.Select(d => (System.Text.Json.Nodes.JsonNode?)Core.Platform.PlatformObjects.Deployment(d))]));
                return;
            }

            foreach (var deployment in deployments)
            {
                Output.Deployment(deployment, history);
                Console.WriteLine();
            }
        }));

        var status = new Command("status", "Show the deployment serving traffic.") { CommonOptions.Json };
        status.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var history = await History(cluster, parse.GetValue(CommonOptions.Name)!);
            var current = history.CurrentDeployment!;
            if (parse.GetValue(CommonOptions.Json))
            {
                Output.WriteJson(Core.Platform.PlatformObjects.Deployment(current));
            }
            else
            {
                Output.Deployment(current, history);
            }
        }));

        return new Command("deployments", "List deployments and show the current one.") { list, status };
    }

    public static Command Rollback()
    {
        var version = new Argument<string?>("version-id") { Description = "The version to roll back to; default: the newest earlier deployment of a single version at 100%.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("rollback", "Deploy an earlier version at 100%.") { version, Message, CodeUpdate, Yes };
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var name = parse.GetValue(CommonOptions.Name)!;
            Guid? target = parse.GetValue(version) is { } spec ? (await Query(cluster, name).Version(spec)).Id : null;
            var result = await Grain(cluster, name).Rollback(target, parse.GetValue(Message), null, Strategy(parse));
            Console.WriteLine($"Rolled back {name} to version {result.Deployment.Versions[0].VersionId} at 100%");
            Console.WriteLine($"Deployment ID: {result.Deployment.Id}");
            Console.WriteLine();
            Console.WriteLine($"Current Version ID: {result.Deployment.Versions[0].VersionId}");
            Output.Warnings(result.Warnings);
            Output.Propagation(result.Propagation);
        }));
        return command;
    }

    public static Command Secret()
    {
        var secretName = new Argument<string>("secret-name") { Description = "The secret's name, e.g. API_KEY." };
        var value = new Option<string?>("--value") { Description = "The value; read from standard input when not given." };
        var put = new Command("put", "Create or change a secret: a new version deployed at 100%.") { secretName, value };
        put.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var text = parse.GetValue(value) ?? (Console.IsInputRedirected ? (await Console.In.ReadToEndAsync(ct)).TrimEnd('\n', '\r') : throw new CliException(ExitCodes.Usage, "Give the secret's value with --value or on standard input."));
            var result = await Grain(cluster, parse.GetValue(CommonOptions.Name)!).PutSecret(parse.GetValue(secretName)!, text);
            Console.WriteLine($"Secret {parse.GetValue(secretName)} put: version {result.Version.Id} deployed at 100%");
            Output.Propagation(result.Propagation);
        }));
        var delete = new Command("delete", "Delete a secret: a new version deployed at 100%.") { secretName };
        delete.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var result = await Grain(cluster, parse.GetValue(CommonOptions.Name)!).DeleteSecret(parse.GetValue(secretName)!);
            Console.WriteLine($"Secret {parse.GetValue(secretName)} deleted: version {result.Version.Id} deployed at 100%");
            Output.Propagation(result.Propagation);
        }));
        return new Command("secret", "Change the Worker's secrets.") { put, delete };
    }

    internal static IDeploymentGrain Grain(Cluster cluster, string name) => cluster.Grains.GetGrain<IDeploymentGrain>(name);

    // The draft sends only the asset content the cluster does not hold yet (as wrangler uploads only
    // what its session lacks), and says how many files that is.
    private static async Task<VersionDraft> WithoutStoredAssetsAsync(Cluster cluster, VersionDraft draft)
    {
        if (draft.AssetContents.IsEmpty)
        {
            return draft;
        }

        var held = await Task.WhenAll(draft.AssetContents.Keys.Select(async hash => (hash, Held: await cluster.Grains.GetGrain<IAssetContentGrain>(hash).Has())));
        var stored = held.Where(h => h.Held).Select(h => h.hash).ToList();
        Console.WriteLine($"Assets: {draft.AssetContents.Count - stored.Count} file(s) uploaded, {stored.Count} already stored");
        return draft with { AssetContents = draft.AssetContents.RemoveRange(stored) };
    }

    internal static IWorkerQueryGrain Query(Cluster cluster, string name) => cluster.Grains.GetGrain<IWorkerQueryGrain>(name);

    internal static async Task<WorkerHistory> History(Cluster cluster, string name) =>
        await Query(cluster, name).History()
        ?? throw new CliException(ExitCodes.Refused, $"Worker '{name}' does not exist: create it with `dosim deploy --name {name} --script <script>`.");

    private static void AddDraftOptions(Command command)
    {
        command.Options.Add(Script);
        command.Options.Add(Modules);
        command.Options.Add(Config);
        command.Options.Add(Tag);
        command.Options.Add(Message);
        command.Options.Add(Vars);
        command.Options.Add(MigrationTag);
        command.Options.Add(Mtls);
        command.Options.Add(SmartPlacement);
    }

    private static VersionDraft Draft(ParseResult parse)
    {
        var vars = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var pair in parse.GetValue(Vars) ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException(ExitCodes.Usage, $"--var '{pair}' is not NAME=value, e.g. --var GREETING=hi.");
            }

            vars[pair[..equals]] = pair[(equals + 1)..];
        }

        var modules = parse.GetValue(Modules) ?? [];
        var config = parse.GetValue(Config);
        if (modules.Length > 0 || config is not null)
        {
            if (parse.GetResult(Script) is { Implicit: false })
            {
                throw new CliException(ExitCodes.Usage, "--script names a built-in script; --module and --config bring your own Worker: pass one or the other.");
            }

            WorkerProject project;
            try
            {
                project = WorkerProject.Load(modules, config);
            }
            catch (WorkerProjectException ex)
            {
                throw new CliException(ExitCodes.Usage, ex.Message);
            }

            var draft = project.Draft(parse.GetValue(Tag), parse.GetValue(Message));
            return draft with
            {
                Vars = draft.Vars.SetItems(vars.ToImmutable()),

                // A --var is text, even where the configuration's value was JSON.
                Code = draft.Code! with { JsonVars = draft.Code.JsonVars.Except(vars.Keys) },
                MigrationTag = parse.GetValue(MigrationTag) ?? draft.MigrationTag,
                HasMtlsBinding = draft.HasMtlsBinding || parse.GetValue(Mtls),
                UsesSmartPlacement = draft.UsesSmartPlacement || parse.GetValue(SmartPlacement),
            };
        }

        return new VersionDraft
        {
            Script = parse.GetValue(Script)!,
            Tag = parse.GetValue(Tag),
            Message = parse.GetValue(Message),
            Vars = vars.ToImmutable(),
            MigrationTag = parse.GetValue(MigrationTag),
            HasMtlsBinding = parse.GetValue(Mtls),
            UsesSmartPlacement = parse.GetValue(SmartPlacement),
        };
    }
}
