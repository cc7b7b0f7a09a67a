using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Core.Analytics;

namespace Simulator.Client;

/// <summary>analytics and tail read every silo's telemetry of a Worker: exact counts, and trace events as they happen.</summary>
internal static class TelemetryCommands
{
    public static Command Analytics()
    {
        var command = new Command("analytics", "Per deployment and version: requests, actual against configured share, errors and exceptions, p50/p95/p99; per Durable Object class: objects, requests and resets. Exact counts from every silo.") { CommonOptions.Json };
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var name = parse.GetValue(CommonOptions.Name)!;
            var history = await VersionCommands.History(cluster, name);
            var silos = (await cluster.AskEverySiloAsync(agent => agent.ReadAnalytics(name))).Select(s => s.Answer).ToArray();
            var deployments = history.Deployments
                .Where(d => d.Id == history.CurrentDeployment?.Id || silos.Any(s => s.Invocations.Any(i => i.DeploymentId == d.Id)))
                .Reverse()
                .Select(d => DeploymentReport.Build(d, Totals(silos.SelectMany(s => s.Invocations).Where(i => i.DeploymentId == d.Id))))
                .ToList();
            var classes = silos.SelectMany(s => s.Objects.Select(o => o.ClassName).Concat(s.Active.Select(a => a.ClassName)).Concat(s.Resets.Select(r => r.ClassName)))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(c => ClassReport(c, silos))
                .ToList();
            if (parse.GetValue(CommonOptions.Json))
            {
                Output.WriteJson(new { worker = name, currentDeployment = history.CurrentDeployment?.Id, deployments, durableObjects = classes });
                return;
            }

            Print(name, history, deployments, classes);
        }));
        return command;
    }

    public static Command Tail()
    {
        var version = new Option<string?>("--version") { Description = "Only events of this version (id or tag)." };
        var outcome = new Option<string?>("--outcome") { Description = "Only events with this outcome: ok or exception." };
        var format = new Option<string>("--format") { Description = "pretty (default) or json (one trace event per line, the workers_trace_events shape).", DefaultValueFactory = _ => "pretty" };
        var once = new Option<bool>("--once") { Description = "Print the events the silos hold now and stop, instead of following." };
        var command = new Command("tail", "Follow the Worker's trace events from every silo as they happen (Ctrl+C stops).") { version, outcome, format, once };
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var name = parse.GetValue(CommonOptions.Name)!;
            var json = parse.GetValue(format) switch
            {
                "json" => true,
                "pretty" => false,
                var other => throw new CliException(ExitCodes.Usage, $"--format '{other}' is not a format: use pretty or json."),
            };
            var wanted = parse.GetValue(outcome) switch
            {
                null => null,
                "ok" => "ok",
                "exception" => "exception",
                var other => throw new CliException(ExitCodes.Usage, $"--outcome '{other}' is not an outcome: use ok or exception."),
            };
            Guid? versionId = parse.GetValue(version) is { } v ? (await VersionCommands.History(cluster, name)).ResolveVersion(v).Id : null;
            if (!json)
            {
                await Console.Error.WriteLineAsync($"Tailing {name} on {cluster.Description}{(parse.GetValue(once) ? "" : " (Ctrl+C stops)")}");
            }

            var seen = new Dictionary<string, long>();
            while (!ct.IsCancellationRequested)
            {
                var pages = await cluster.AskEverySiloAsync(agent => agent.ReadTraceEvents(name, seen.GetValueOrDefault(agent.GetPrimaryKeyString())));
                foreach (var (silo, page) in pages)
                {
                    seen[silo] = page.LastSequence;
                }

                foreach (var e in pages.SelectMany(p => p.Answer.Events).OrderBy(e => e.EventTimestampMs))
                {
                    if ((versionId is null || e.ScriptVersion.Id == versionId) && (wanted is null || e.Outcome == wanted))
                    {
                        Console.WriteLine(json ? JsonSerializer.Serialize(e) : Pretty(e));
                    }
                }

                if (parse.GetValue(once))
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }));
        return command;
    }

    private static string Pretty(TraceEvent e)
    {
        var time = Output.Time(DateTimeOffset.FromUnixTimeMilliseconds(e.EventTimestampMs));
        var where = e.Entrypoint is null ? "" : $" [{e.Entrypoint}]";
        var result = e.Event.Response is { } r ? $"{e.Outcome} {r.Status}" : e.Outcome;
        var lines = new List<string> { $"{time}  {e.Event.Request.Method} {e.Event.Request.Url}{where}  {result}  version {e.ScriptVersion.Id}{(e.ScriptVersion.Tag is { } tag ? $" ({tag})" : "")}" };
        lines.AddRange(e.Logs.Select(l => $"  ({l.Level}) {string.Join(' ', l.Message)}"));
        lines.AddRange(e.Exceptions.Select(x => $"  {x.Name}: {x.Message}"));
        return string.Join(Environment.NewLine, lines);
    }

    private static IEnumerable<VersionTotals> Totals(IEnumerable<VersionCounters> counters) =>
        counters.GroupBy(c => c.VersionId).Select(g =>
        {
            var totals = new VersionTotals(g.Key);
            foreach (var c in g)
            {
                totals.Add(c.Requests, c.Errors, c.Exceptions, c.LatencyBuckets);
            }

            return totals;
        });

    private sealed record ClassVersionLine(Guid VersionId, long ActiveObjects, long Requests, long Errors);

    private sealed record ResetLine(Guid From, Guid To, long Count);

    private sealed record ClassLine(string ClassName, IReadOnlyList<ClassVersionLine> Versions, IReadOnlyList<ResetLine> Resets);

    private static ClassLine ClassReport(string className, SiloAnalytics[] silos)
    {
        var objects = silos.SelectMany(s => s.Objects).Where(o => o.ClassName == className).ToList();
        var active = silos.SelectMany(s => s.Active).Where(a => a.ClassName == className).ToList();
        var versions = objects.Select(o => o.VersionId).Concat(active.Select(a => a.VersionId)).Distinct().Order()
            .Select(v => new ClassVersionLine(
                v,
                active.Where(a => a.VersionId == v).Sum(a => a.Count),
                objects.Where(o => o.VersionId == v).Sum(o => o.Requests),
                objects.Where(o => o.VersionId == v).Sum(o => o.Errors)))
            .ToList();
        var resets = silos.SelectMany(s => s.Resets).Where(r => r.ClassName == className)
            .GroupBy(r => (r.From, r.To)).Select(g => new ResetLine(g.Key.From, g.Key.To, g.Sum(r => r.Count)))
            .OrderByDescending(r => r.Count).ToList();
        return new ClassLine(className, versions, resets);
    }

    private static void Print(string name, WorkerHistory history, List<DeploymentReport> deployments, List<ClassLine> classes)
    {
        string Tag(Guid id) => history.Versions.FirstOrDefault(v => v.Id == id)?.Tag is { } tag ? $"{id} ({tag})" : id.ToString();
        static string Ms(double? ms) => ms is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) + " ms" : "-";
        Console.WriteLine($"Analytics of {name}, from every silo (exact counts)");
        foreach (var d in deployments)
        {
            Console.WriteLine();
            Console.WriteLine($"Deployment {d.DeploymentId}{(d.DeploymentId == history.CurrentDeployment?.Id ? " (current)" : "")}: {d.Requests:N0} requests");
            Output.Table(
                ["Version", "Configured", "Requests", "Actual", "Errors", "Error rate", "p50", "p95", "p99"],
                d.Versions.Select(v => (IReadOnlyList<string>)[
                    Tag(v.VersionId),
                    v.ConfiguredPercent.ToString(CultureInfo.InvariantCulture) + "%",
                    v.Requests.ToString("N0", CultureInfo.InvariantCulture),
                    v.ActualPercent is { } a ? a.ToString("0.##", CultureInfo.InvariantCulture) + "%" : "-",
                    v.Errors.ToString("N0", CultureInfo.InvariantCulture),
                    v.ErrorRate is { } r ? Output.Percent(r) : "-",
                    Ms(v.P50Ms), Ms(v.P95Ms), Ms(v.P99Ms)]));
            foreach (var v in d.Versions.Where(v => v.Exceptions.Length > 0))
            {
                Console.WriteLine($"Exceptions of {Tag(v.VersionId)}:");
                foreach (var (message, count) in v.Exceptions.Select(e => (e.Message, e.Count)))
                {
                    Console.WriteLine($"  {count,8:N0}  {message}");
                }
            }
        }

        foreach (var c in classes)
        {
            Console.WriteLine();
            Console.WriteLine($"Durable Object class {c.ClassName}");
            Output.Table(
                ["Version", "Active objects", "Requests", "Errors"],
                c.Versions.Select(v => (IReadOnlyList<string>)[Tag(v.VersionId), v.ActiveObjects.ToString("N0", CultureInfo.InvariantCulture), v.Requests.ToString("N0", CultureInfo.InvariantCulture), v.Errors.ToString("N0", CultureInfo.InvariantCulture)]));
            Console.WriteLine(c.Resets.Count == 0 ? "Resets: none" : "Resets:");
            foreach (var r in c.Resets)
            {
                Console.WriteLine($"  {r.Count,8:N0}  {Tag(r.From)} -> {Tag(r.To)}");
            }
        }
    }
}
