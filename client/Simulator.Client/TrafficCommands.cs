using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Client;

/// <summary>request and traffic go through the HTTP gateway, as curl would; objects reads the cluster.</summary>
internal static class TrafficCommands
{
    private static readonly Option<string> Http = new("--http")
    {
        Description = "The HTTP gateway's base URL (env DOSIM_HTTP).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DOSIM_HTTP") ?? "http://127.0.0.1:8787",
    };

    private static readonly Option<string?> VersionKey = new("--version-key") { Description = "Sends Cloudflare-Workers-Version-Key." };
    private static readonly Option<string?> Override = new("--override") { Description = "A version id, unique tag or 'latest' to send in Cloudflare-Workers-Version-Overrides (a tag is resolved to its id through the cluster)." };

    public static Command Request()
    {
        var path = new Argument<string>("path") { Description = "The path to request, e.g. /foo.", DefaultValueFactory = _ => "/", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("request", "Send one request through the HTTP gateway and show which versions served it.") { path, Http, VersionKey, Override };
        command.SetAction(async (parse, ct) =>
        {
            string name;
            try
            {
                name = CommonOptions.CheckName(parse);
            }
            catch (CliException ex)
            {
                await Console.Error.WriteLineAsync("✘ " + ex.Message);
                return ex.ExitCode;
            }

            string? overrideId = null;
            if (parse.GetValue(Override) is { } version)
            {
                // The header carries version ids only: the platform ignores anything else silently.
                if (Guid.TryParse(version, out var id))
                {
                    overrideId = id.ToString();
                }
                else if (await CommonOptions.Run(parse, ct, async cluster => overrideId = (await VersionCommands.Query(cluster, name).Version(version)).Id.ToString()) is var code and not ExitCodes.Ok)
                {
                    return code;
                }
            }

            try
            {
                using var http = new HttpClient();
                using var message = new HttpRequestMessage(HttpMethod.Get, Url(parse.GetValue(Http)!, parse.GetValue(path)!));
                message.Headers.Host = $"{name}.localhost";
                if (parse.GetValue(VersionKey) is { } key)
                {
                    message.Headers.Add(VersionHeaders.Key, key);
                }

                if (overrideId is not null)
                {
                    message.Headers.Add(VersionHeaders.Overrides, $"{name}=\"{overrideId}\"");
                }

                using var response = await http.SendAsync(message, ct);
                Console.WriteLine($"HTTP {(int)response.StatusCode}");
                foreach (var header in new[] { DiagnosticHeaders.VersionId, DiagnosticHeaders.VersionReason, DiagnosticHeaders.DurableObjectVersionId, DiagnosticHeaders.DurableObjectResets })
                {
                    if (response.Headers.TryGetValues(header, out var values))
                    {
                        Console.WriteLine($"{header}: {string.Join(", ", values)}");
                    }
                }

                Console.WriteLine();
                Console.Write(await response.Content.ReadAsStringAsync(ct));
                return response.IsSuccessStatusCode ? ExitCodes.Ok : ExitCodes.Refused;
            }
            catch (Exception ex) when (ex is HttpRequestException or UriFormatException)
            {
                await Console.Error.WriteLineAsync($"✘ Cannot reach the HTTP gateway at {parse.GetValue(Http)} ({ex.Message}). Is a silo running? Pass --http http://127.0.0.1:<port>.");
                return ExitCodes.Unreachable;
            }
        });
        return command;
    }

    public static Command Traffic()
    {
        var requests = new Option<int>("--requests") { Description = "How many requests to send.", DefaultValueFactory = _ => 1000 };
        var objects = new Option<int>("--objects") { Description = "Spread requests over this many paths /obj-0 … (Durable Objects with the counter script); 0 sends /.", DefaultValueFactory = _ => 0 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once.", DefaultValueFactory = _ => 16 };
        var keys = new Option<int>("--version-keys") { Description = "Send Cloudflare-Workers-Version-Key from this many distinct keys; 0 sends none.", DefaultValueFactory = _ => 0 };
        var command = new Command("traffic", "Send load through the HTTP gateway and report, per version, requests, share, errors and latency.") { requests, objects, concurrency, keys, Http, CommonOptions.Json };
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var name = parse.GetValue(CommonOptions.Name)!;
            var (total, objectCount, inFlight, keyCount) = (parse.GetValue(requests), parse.GetValue(objects), parse.GetValue(concurrency), parse.GetValue(keys));
            if (total < 1 || objectCount < 0 || inFlight < 1 || keyCount < 0)
            {
                throw new CliException(ExitCodes.Usage, "--requests and --concurrency must be at least 1; --objects and --version-keys at least 0.");
            }

            var history = await VersionCommands.History(cluster, name);
            var deployment = history.CurrentDeployment!;
            var results = await SendAsync(parse.GetValue(Http)!, name, total, objectCount, inFlight, keyCount, ct);
            Report(history, deployment, results, parse.GetValue(CommonOptions.Json));
        }));
        return command;
    }

    private sealed record Sample(string Version, int Status, double Milliseconds);

    private static async Task<List<Sample>> SendAsync(string baseUrl, string name, int total, int objects, int concurrency, int keys, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var samples = new Sample[total];
        var next = -1;
        var done = 0;
        var progress = !Console.IsErrorRedirected;
        using var timer = progress ? new Timer(_ => DrawProgress(Volatile.Read(ref done), total), null, 0, 200) : null;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                using var message = new HttpRequestMessage(HttpMethod.Get, Url(baseUrl, objects > 0 ? $"/obj-{i % objects}" : "/"));
                message.Headers.Host = $"{name}.localhost";
                if (keys > 0)
                {
                    message.Headers.Add(VersionHeaders.Key, $"key-{i % keys}");
                }

                var clock = Stopwatch.StartNew();
                using var response = await http.SendAsync(message, ct);
                await response.Content.ReadAsByteArrayAsync(ct);
                var version = response.Headers.TryGetValues(DiagnosticHeaders.VersionId, out var values) ? values.First() : "(none)";
                samples[i] = new Sample(version, (int)response.StatusCode, clock.Elapsed.TotalMilliseconds);
                Interlocked.Increment(ref done);
            }
        }));
        if (progress)
        {
            DrawProgress(total, total);
            await Console.Error.WriteLineAsync();
        }

        return [.. samples];
    }

    private static void DrawProgress(int done, int total)
    {
        const int Width = 30;
        var filled = (int)((long)done * Width / total);
        Console.Error.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {done}/{total}");
    }

    private static void Report(WorkerHistory history, Deployment deployment, List<Sample> samples, bool json)
    {
        var rows = samples.GroupBy(s => s.Version).Select(g =>
        {
            var latencies = g.Select(s => s.Milliseconds).Order().ToList();
            var configured = Guid.TryParse(g.Key, out var id) ? deployment.Versions.Where(v => v.VersionId == id).Sum(v => v.Percentage) : 0;
            return new
            {
                version = g.Key,
                tag = Guid.TryParse(g.Key, out var vid) ? history.FindVersion(vid)?.Tag : null,
                requests = g.Count(),
                share = (double)g.Count() / samples.Count,
                configuredShare = (double)configured / 100,
                errors = g.Count(s => s.Status >= 500),
                p50Ms = Percentile(latencies, 0.50),
                p99Ms = Percentile(latencies, 0.99),
            };
        }).OrderByDescending(r => r.requests).ToList();
        if (json)
        {
            Output.WriteJson(rows);
            return;
        }

        Output.Table(
            ["Version", "Tag", "Requests", "Share", "Configured", "Errors", "p50 ms", "p99 ms"],
            rows.Select(r => (IReadOnlyList<string>)[r.version, r.tag ?? "-", r.requests.ToString(CultureInfo.InvariantCulture), Output.Percent(r.share), Output.Percent(r.configuredShare), r.errors.ToString(CultureInfo.InvariantCulture), r.p50Ms.ToString("0.0", CultureInfo.InvariantCulture), r.p99Ms.ToString("0.0", CultureInfo.InvariantCulture)]));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    public static Command Objects()
    {
        var version = new Option<string?>("--version") { Description = "Only objects on this version (id, tag or latest)." };
        var activeOnly = new Option<bool>("--active") { Description = "Only objects with a live instance now." };
        var className = new Option<string?>("--class") { Description = "Only objects of this Durable Object class." };
        var command = new Command("objects", "List every Durable Object of the Worker, from its first request on: the version it runs, reset count, resets, its state (active: running a call or event; idle: in memory, nothing running; hibernated; inactive), its open WebSockets, and, when it differs, the version the deployment assigns it with when a deferred update switches it at the latest.") { version, activeOnly, className, CommonOptions.Json };
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var filter = new ObjectFilter { Version = parse.GetValue(version), ActiveOnly = parse.GetValue(activeOnly), ClassName = parse.GetValue(className) };
            var objects = await VersionCommands.Query(cluster, parse.GetValue(CommonOptions.Name)!).Objects(filter);
            if (parse.GetValue(CommonOptions.Json))
            {
                Output.WriteJson(objects.Select(o => new
                {
                    className = o.ClassName,
                    id = o.ObjectId,
                    name = o.Name,
                    version = o.VersionId,
                    tag = o.VersionTag,
                    resets = o.ResetCount,
                    active = o.IsActive,
                    state = o.State,
                    sockets = o.Sockets,
                    assignedVersion = o.AssignedVersionId,
                    switchBy = o.SwitchBy,
                    silo = o.Silo,
                    resetHistory = o.Resets.Select(r => new { deployment = r.DeploymentId, from = r.FromVersion, to = r.ToVersion, at = r.At, wasActive = r.WasActive }),
                }));
                return;
            }

            Output.Table(
                ["Class", "Object ID", "Name", "Version", "Resets", "Last reset", "State", "Sockets", "Assigned", "Switch by"],
                objects.Select(o => (IReadOnlyList<string>)[
                    o.ClassName,
                    o.ObjectId,
                    o.Name ?? "-",
                    $"{o.VersionId} ({o.VersionTag ?? "-"})",
                    o.ResetCount.ToString(CultureInfo.InvariantCulture),
                    o.Resets.LastOrDefault() is { } r ? $"{Output.Time(r.At)}{(r.WasActive ? string.Empty : " (inactive)")}" : "-",
                    o.State,
                    o.Sockets.ToString(CultureInfo.InvariantCulture),
                    o.AssignedVersionId is { } assigned && assigned != o.VersionId ? assigned.ToString() : "-",
                    o.SwitchBy is { } by ? Output.Time(by) : "-"]));
        }));
        return command;
    }

    public static Command Silos()
    {
        var command = new Command("silos", "List the cluster's silos as the silo answering sees them.") { CommonOptions.Json };
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var hosts = await cluster.Grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false);
            var rows = hosts.OrderBy(h => h.Key.ToParsableString(), StringComparer.Ordinal).Select(h => new { silo = h.Key.ToParsableString(), status = Output.Kebab(h.Value.ToString()) }).ToList();
            if (parse.GetValue(CommonOptions.Json))
            {
                Output.WriteJson(rows);
                return;
            }

            Output.Table(["Silo", "Status"], rows.Select(r => (IReadOnlyList<string>)[r.silo, r.status]));
        }));
        return command;
    }

    private static Uri Url(string baseUrl, string path) => new(new Uri(baseUrl.TrimEnd('/') + "/"), path.TrimStart('/'));
}
