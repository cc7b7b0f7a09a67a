using System.Text.Json;
using Simulator.Core;

namespace Simulator.EndToEnd.Tests;

/// <summary>
/// Telemetry of a silo process as a user sees it: `dosim analytics` against what was sent, the
/// NDJSON trace events against the documented shape, `dosim tail` as requests happen, and spans
/// and metrics on the silo's console.
/// </summary>
public sealed class TelemetryTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Analytics_and_trace_events_count_exactly_what_was_sent_per_version()
    {
        var events = Path.Combine(Directory.CreateTempSubdirectory("dosim-events-").FullName, "events.ndjson");
        await using var silo = await SiloProcess.StartAsync(null, "--trace-events", events);
        const string worker = "observed";
        var (a, b) = await DeployHalfFailingAsync(silo, worker);

        // Pinned by the override header, so the test knows what each version got; then some at random.
        // B's code fails half the time wherever it runs: in B's Worker (the request never reaches its
        // object) or in an object on B (the error says so, and the Worker's invocation fails with it).
        var sent = new Dictionary<Guid, (int Requests, int Errors)> { [a] = (0, 0), [b] = (0, 0) };
        var failedInWorker = 0;
        for (var i = 0; i < 90; i++)
        {
            Guid? pin = i < 30 ? a : i < 60 ? b : null;
            var (version, status, body) = await SendAsync(silo, worker, $"/obj{i % 7}", pin);
            Assert.Equal(pin ?? version, version);
            sent[version] = (sent[version].Requests + 1, sent[version].Errors + (status == 500 ? 1 : 0));
            if (status == 500)
            {
                Assert.Contains($"Simulated failure of version {b}", body, StringComparison.Ordinal);
                failedInWorker += body.Contains("in its Worker", StringComparison.Ordinal) ? 1 : 0;
            }
        }

        Assert.InRange(sent[b].Errors, 1, sent[b].Requests - 1);
        var analytics = await CliJsonAsync(silo, "analytics", "--worker", worker, "--json");
        var current = analytics.GetProperty("deployments")[0];
        Assert.Equal(analytics.GetProperty("currentDeployment").GetString(), current.GetProperty("deploymentId").GetString());
        Assert.Equal(90, current.GetProperty("requests").GetInt64());
        foreach (var line in current.GetProperty("versions").EnumerateArray())
        {
            var (requests, errors) = sent[line.GetProperty("versionId").GetGuid()];
            Assert.Equal(requests, line.GetProperty("requests").GetInt64());
            Assert.Equal(errors, line.GetProperty("errors").GetInt64());
            Assert.Equal(errors, line.GetProperty("exceptions").EnumerateArray().Sum(e => e.GetProperty("count").GetInt64()));
            Assert.Equal(50m, line.GetProperty("configuredPercent").GetDecimal());
            Assert.Equal(100.0 * requests / 90, line.GetProperty("actualPercent").GetDouble(), 9);
            Assert.True(line.GetProperty("p50Ms").GetDouble() <= line.GetProperty("p99Ms").GetDouble());
        }

        // Every request that got past the worker reached its Counter object.
        var answered = 90 - failedInWorker;
        var counter = Assert.Single(analytics.GetProperty("durableObjects").EnumerateArray());
        Assert.Equal("Counter", counter.GetProperty("className").GetString());
        Assert.Equal(answered, counter.GetProperty("versions").EnumerateArray().Sum(v => v.GetProperty("requests").GetInt64()));
        Assert.Equal(7, counter.GetProperty("versions").EnumerateArray().Sum(v => v.GetProperty("activeObjects").GetInt64()));

        // The NDJSON file: one event per Worker invocation and per object request, in the documented shape.
        var lines = await WaitForLinesAsync(events, 90 + answered);
        var parsed = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(parsed, AssertTraceEventShape);
        var invocations = parsed.Where(e => e.GetProperty("Entrypoint").ValueKind == JsonValueKind.Null).ToList();
        foreach (var (version, (requests, errors)) in sent)
        {
            var mine = invocations.Where(e => e.GetProperty("ScriptVersion").GetProperty("id").GetGuid() == version).ToList();
            Assert.Equal(requests, mine.Count);
            Assert.Equal(errors, mine.Count(e => e.GetProperty("Outcome").GetString() == "exception"));
        }

        // Worker code's console.log lines are in Logs.
        Assert.Contains(invocations, e => e.GetProperty("Logs").EnumerateArray().Any(l => l.GetProperty("message")[0].GetString() == "counter"));

        // Spans on the console as they end; metrics when the silo stops and flushes them.
        await silo.StopAsync();
        Assert.Contains($"dosim.version.id: {b}", silo.Output, StringComparison.Ordinal);
        Assert.Contains("dosim.version.reason: override", silo.Output, StringComparison.Ordinal);
        Assert.Contains("Metric Name: dosim.requests", silo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_shows_events_as_they_happen_and_filters_by_version_and_outcome()
    {
        await using var silo = await SiloProcess.StartAsync(null, "--telemetry-console", "off");
        const string worker = "tailed";
        var (a, b) = await DeployHalfFailingAsync(silo, worker);
        await using var tail = new LiveCli(silo, "tail", "--worker", worker);
        await tail.WaitForAsync(lines => lines.Any(l => l.StartsWith("Tailing tailed", StringComparison.Ordinal)), stderr: true);

        // An object the deployment assigns A, so neither of its two events can fail.
        var ranges = VersionRanges.From([new(b, 50), new(a, 50)]);
        var path = "/" + Enumerable.Range(0, 100).Select(i => $"live-{Guid.NewGuid().ToString("N")[..8]}").First(n => ranges.VersionFor(DurableObjectId.FromName("Counter", n)) == a);
        await SendAsync(silo, worker, path, a);
        // The object's event, then the Worker's (it ends after the object answers), each with its console line.
        var invocation = $"GET https://{worker}.localhost{path}  ok 200  version {a} (A)";
        var objectCall = $"GET https://{worker}.localhost{path} [Counter]  ok 200  version {a} (A)";
        await tail.WaitForAsync(lines => lines.Any(l => l.EndsWith(invocation, StringComparison.Ordinal)) && lines.Any(l => l.Contains(objectCall, StringComparison.Ordinal)));
        Assert.Contains("  (log) counter " + path[1..], tail.Stdout);
        Assert.Contains($"  (log) {path[1..]} counted 1", tail.Stdout);

        for (var i = 0; i < 10; i++)
        {
            await SendAsync(silo, worker, path, b);
        }

        var failures = await Run.CliAsync(silo, "tail", "--worker", worker, "--once", "--format", "json", "--version", "B", "--outcome", "exception");
        Assert.True(failures.ExitCode == 0, failures.ToString());
        var failed = failures.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, e => Assert.Equal((b, "exception"), (e.GetProperty("ScriptVersion").GetProperty("id").GetGuid(), e.GetProperty("Outcome").GetString())));

        var bad = await Run.CliAsync(silo, "tail", "--worker", worker, "--once", "--outcome", "maybe");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--outcome 'maybe' is not an outcome: use ok or exception.", bad.Stderr, StringComparison.Ordinal);
    }

    private static void AssertTraceEventShape(JsonElement e)
    {
        Assert.Equal(JsonValueKind.String, e.GetProperty("ScriptName").ValueKind);
        var version = e.GetProperty("ScriptVersion");
        Assert.True(Guid.TryParse(version.GetProperty("id").GetString(), out _));
        Assert.Contains(version.GetProperty("message").ValueKind, new[] { JsonValueKind.String, JsonValueKind.Null });
        Assert.Contains(version.GetProperty("tag").GetString(), new[] { "A", "B" });
        Assert.InRange(e.GetProperty("EventTimestampMs").GetInt64(), DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal("fetch", e.GetProperty("EventType").GetString());
        var outcome = e.GetProperty("Outcome").GetString();
        Assert.Contains(outcome, new[] { "ok", "exception" });
        var request = e.GetProperty("Event").GetProperty("request");
        Assert.StartsWith("https://observed.localhost/obj", request.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Equal("GET", request.GetProperty("method").GetString());
        var exceptions = e.GetProperty("Exceptions").EnumerateArray().ToList();
        Assert.Equal(outcome == "exception" ? 1 : 0, exceptions.Count);
        Assert.All(exceptions, x => Assert.Equal((JsonValueKind.String, JsonValueKind.String, JsonValueKind.Number), (x.GetProperty("name").ValueKind, x.GetProperty("message").ValueKind, x.GetProperty("timestamp").ValueKind)));
        Assert.Equal(outcome == "ok" ? JsonValueKind.Number : JsonValueKind.Undefined, e.GetProperty("Event").GetProperty("response") is { ValueKind: JsonValueKind.Object } r ? r.GetProperty("status").ValueKind : JsonValueKind.Undefined);
        Assert.All(e.GetProperty("Logs").EnumerateArray(), l => Assert.Equal((JsonValueKind.String, JsonValueKind.Array, JsonValueKind.Number), (l.GetProperty("level").ValueKind, l.GetProperty("message").ValueKind, l.GetProperty("timestamp").ValueKind)));
    }

    /// <summary>A at 50% and B at 50%, B failing about half its requests (SIM_ERROR_RATE).</summary>
    private static async Task<(Guid A, Guid B)> DeployHalfFailingAsync(SiloProcess silo, string worker)
    {
        await CliOkAsync(silo, "deploy", "--worker", worker, "--script", "counter", "--tag", "A");
        await CliOkAsync(silo, "versions", "upload", "--worker", worker, "--script", "counter", "--tag", "B", "--var", "SIM_ERROR_RATE=0.5");
        await CliOkAsync(silo, "versions", "deploy", "--worker", worker, "B@50%", "A@50%", "-y");
        var a = (await CliJsonAsync(silo, "versions", "view", "A", "--worker", worker, "--json")).GetProperty("id").GetGuid();
        var b = (await CliJsonAsync(silo, "versions", "view", "B", "--worker", worker, "--json")).GetProperty("id").GetGuid();
        return (a, b);
    }

    private static async Task<(Guid Version, int Status, string Body)> SendAsync(SiloProcess silo, string worker, string path, Guid? pin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{silo.HttpPort}{path}");
        request.Headers.Host = $"{worker}.localhost";
        if (pin is { } version)
        {
            request.Headers.Add(VersionHeaders.Overrides, $"{worker}=\"{version}\"");
        }

        using var response = await Http.SendAsync(request);
        return (Guid.Parse(response.Headers.GetValues("X-Simulator-Version-Id").Single()), (int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<List<string>> WaitForLinesAsync(string path, int count)
    {
        var lines = await Core.Tests.Eventually.Until(
            $"{count} trace events in {path}",
            TimeSpan.FromSeconds(30),
            () => Task.FromResult(File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToList() : []),
            lines => lines.Count >= count);
        Assert.Equal(count, lines.Count);
        return lines;
    }

    private static async Task<string> CliOkAsync(SiloProcess silo, params string[] args)
    {
        var result = await Run.CliAsync(silo, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    private static async Task<JsonElement> CliJsonAsync(SiloProcess silo, params string[] args) => JsonDocument.Parse(await CliOkAsync(silo, args)).RootElement;
}
