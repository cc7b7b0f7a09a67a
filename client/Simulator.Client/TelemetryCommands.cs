using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Simulator.Contracts;

namespace Simulator.Client;

/// <summary>analytics and tail read every silo's telemetry of a Worker: exact counts, and trace events as they happen.</summary>
internal static class TelemetryCommands
{
    public static Command Analytics()
    {
        var command = new Command("analytics", "Per deployment and version: requests, actual against configured share, errors and exceptions, p50/p95/p99; per Durable Object class: objects, requests and resets, and the version skew matrix (calls by the caller's version and the object's, per deployment, with error rates); WebSocket messages in and out and sockets closed by resets, per version. Exact counts from every silo.") { CommonOptions.Json };
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var analytics = await VersionCommands.Query(cluster, parse.GetValue(CommonOptions.Name)!).Analytics();
            if (parse.GetValue(CommonOptions.Json))
            {
                Output.WriteJson(new
                {
                    worker = analytics.Worker,
                    currentDeployment = analytics.CurrentDeployment,
                    deployments = analytics.Deployments,
                    durableObjects = analytics.DurableObjects.Select(c => new { className = c.ClassName, versions = c.Versions, resets = c.Resets.Select(r => new { from = r.From, to = r.To, count = r.Count }) }),
                    webSockets = analytics.Sockets.Select(s => new { className = s.ClassName, versionId = s.VersionId, messagesIn = s.MessagesIn, messagesOut = s.MessagesOut, closedByReset = s.ClosedByReset }),
                    skew = analytics.Skew.Select(c => new { className = c.ClassName, deploymentId = c.DeploymentId, callerVersionId = c.CallerVersionId, objectVersionId = c.ObjectVersionId, requests = c.Requests, errors = c.Errors, errorRate = c.ErrorRate, skewed = c.Skewed }),
                });
                return;
            }

            Print(analytics);
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
            var follow = !parse.GetValue(once);
            if (!json)
            {
                await Console.Error.WriteLineAsync($"Tailing {name} on {cluster.Description}{(follow ? " (Ctrl+C stops)" : "")}");
            }

            // One stream from every silo, filtered in the cluster; events arrive as they happen.
            var filter = new TailFilter { Version = parse.GetValue(version), Outcome = wanted, Follow = follow };
            try
            {
                await foreach (var e in cluster.Grains.GetGrain<IWorkerTailGrain>(TailKey.New(name)).Tail(filter, ct).WithCancellation(ct))
                {
                    Console.WriteLine(json ? JsonSerializer.Serialize(e) : Pretty(e));
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C: a clean stop.
            }
        }));
        return command;
    }

    private static string Pretty(TraceEvent e)
    {
        var time = Output.Time(DateTimeOffset.FromUnixTimeMilliseconds(e.EventTimestampMs));
        var where = e.Entrypoint is null ? "" : $" [{e.Entrypoint}]";
        var result = e.Event.Response is { } r ? $"{e.Outcome} {r.Status}" : e.Outcome;
        var what = e.Event.Request is { } request ? $"{request.Method} {request.Url}"
            : e.EventType == "alarm" ? $"alarm due {Output.Time(DateTimeOffset.FromUnixTimeMilliseconds(e.Event.ScheduledTimeMs ?? 0))}"
            : e.Event.WebSocketEvent is { } ws ? $"websocket {ws.Type}{(ws.Code is { } code ? $" {code}{(ws.WasClean == false ? " (not clean)" : "")}" : "")}"
            : $"rpc {e.Event.RpcMethod}()";
        var caller = e.CallerScriptVersion is { } by ? $"  called by {by.Id}{(by.Tag is { } byTag ? $" ({byTag})" : "")}" : "";
        var lines = new List<string> { $"{time}  {what}{where}  {result}  version {e.ScriptVersion.Id}{(e.ScriptVersion.Tag is { } tag ? $" ({tag})" : "")}{caller}" };
        lines.AddRange(e.Logs.Select(l => $"  ({l.Level}) {string.Join(' ', l.Message)}"));
        lines.AddRange(e.Exceptions.Select(x => $"  {x.Name}: {x.Message}"));
        return string.Join(Environment.NewLine, lines);
    }

    private static void Print(WorkerAnalytics analytics)
    {
        string Tag(Guid id) => analytics.Tags.TryGetValue(id, out var tag) ? $"{id} ({tag})" : id.ToString();
        static string Ms(double? ms) => ms is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) + " ms" : "-";
        Console.WriteLine($"Analytics of {analytics.Worker}, from every silo (exact counts)");
        foreach (var d in analytics.Deployments)
        {
            Console.WriteLine();
            Console.WriteLine($"Deployment {d.DeploymentId}{(d.DeploymentId == analytics.CurrentDeployment ? " (current)" : "")}: {d.Requests:N0} requests");
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

        foreach (var c in analytics.DurableObjects)
        {
            Console.WriteLine();
            Console.WriteLine($"Durable Object class {c.ClassName}");
            Output.Table(
                ["Version", "Active objects", "Requests", "Errors"],
                c.Versions.Select(v => (IReadOnlyList<string>)[Tag(v.VersionId), v.ActiveObjects.ToString("N0", CultureInfo.InvariantCulture), v.Requests.ToString("N0", CultureInfo.InvariantCulture), v.Errors.ToString("N0", CultureInfo.InvariantCulture)]));
            Console.WriteLine(c.Resets.IsEmpty ? "Resets: none" : "Resets:");
            foreach (var r in c.Resets)
            {
                Console.WriteLine($"  {r.Count,8:N0}  {Tag(r.From)} -> {Tag(r.To)}");
            }

            var skew = analytics.Skew.Where(k => k.ClassName == c.ClassName).ToList();
            if (skew.Count > 0)
            {
                Console.WriteLine("Version skew (calls from a Worker or object, by the caller's version and the version this object ran):");
                Output.Table(
                    ["Deployment", "Caller", "Object", "Calls", "Errors", "Error rate", ""],
                    skew.Select(k => (IReadOnlyList<string>)[
                        k.DeploymentId + (k.DeploymentId == analytics.CurrentDeployment ? " (current)" : ""),
                        Tag(k.CallerVersionId), Tag(k.ObjectVersionId),
                        k.Requests.ToString("N0", CultureInfo.InvariantCulture), k.Errors.ToString("N0", CultureInfo.InvariantCulture),
                        k.ErrorRate is { } rate ? Output.Percent(rate) : "-", k.Skewed ? "skewed" : ""]));
            }
        }

        if (!analytics.Sockets.IsEmpty)
        {
            Console.WriteLine();
            Console.WriteLine("WebSockets (closed by reset: counted on the version the object left)");
            Output.Table(
                ["Sockets of", "Version", "Messages in", "Messages out", "Closed by reset"],
                analytics.Sockets.Select(s => (IReadOnlyList<string>)[
                    s.ClassName ?? "the Worker", Tag(s.VersionId),
                    s.MessagesIn.ToString("N0", CultureInfo.InvariantCulture), s.MessagesOut.ToString("N0", CultureInfo.InvariantCulture), s.ClosedByReset.ToString("N0", CultureInfo.InvariantCulture)]));
        }
    }
}
