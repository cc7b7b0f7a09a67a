using System.Net;
using System.Text.Json;

namespace Simulator.EndToEnd.Tests;

/// <summary>
/// scripts/loopback-cluster.sh, the docker-compose topology without Docker, on free loopback
/// ports: one Redis and three silo processes with membership and grain state in Redis.
/// </summary>
public sealed class LoopbackCluster : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly string _directory = Directory.CreateTempSubdirectory("dosim-cluster-").FullName;
    private readonly int[] _gatewayPorts = [Build.FreePort(), Build.FreePort(), Build.FreePort()];
    private readonly int[] _httpPorts = [Build.FreePort(), Build.FreePort(), Build.FreePort()];
    private readonly Dictionary<string, string> _environment;

    public LoopbackCluster()
    {
        RedisPort = Build.FreePort();
        _environment = new()
        {
            ["DOSIM_CLUSTER_DIR"] = _directory,
            ["DOSIM_REDIS_PORT"] = $"{RedisPort}",
            ["DOSIM_SILO_PORTS"] = $"{Build.FreePort()} {Build.FreePort()} {Build.FreePort()}",
            ["DOSIM_GATEWAY_PORTS"] = string.Join(' ', _gatewayPorts),
            ["DOSIM_HTTP_PORTS"] = string.Join(' ', _httpPorts),
            ["DOSIM_SILO_COMMAND"] = $"dotnet {Build.SiloDll}",

            // A killed silo is declared dead in a few seconds instead of about half a minute.
            ["DOSIM_SILO_ARGS"] = "--probe-timeout 00:00:01",
        };
    }

    public int RedisPort { get; }

    /// <summary>The three gateways, for --cluster.</summary>
    public string Gateways => string.Join(',', _gatewayPorts.Select(p => $"127.0.0.1:{p}"));

    public Task InitializeAsync() => ScriptAsync("up");

    public async Task DisposeAsync() => await ScriptAsync("down");

    /// <summary>Runs the script; a failure carries the silos' logs.</summary>
    public async Task<Run.Result> ScriptAsync(params string[] args)
    {
        var result = await Run.ProcessAsync("bash", [Path.Combine(Build.RepositoryRoot, "scripts", "loopback-cluster.sh"), .. args], _environment);
        Assert.True(result.ExitCode == 0, $"loopback-cluster.sh {string.Join(' ', args)}: {result}\n{Logs()}");
        return result;
    }

    public string Logs() => string.Join("\n", Directory.GetFiles(_directory, "*.log").Order().Select(f => $"--- {Path.GetFileName(f)}\n{string.Join('\n', File.ReadLines(f).TakeLast(40))}"));

    /// <summary>Runs `dosim` against the three gateways.</summary>
    public Task<Run.Result> CliAsync(params string[] args) =>
        Run.ProcessAsync("dotnet", [Build.CliDll, .. args, "--cluster", Gateways], new Dictionary<string, string>());

    /// <summary>Runs `dosim` and expects success.</summary>
    public async Task<string> CliOkAsync(params string[] args)
    {
        var result = await CliAsync(args);
        Assert.True(result.ExitCode == 0, $"dosim {string.Join(' ', args)}: {result}\n{Logs()}");
        return result.Stdout;
    }

    public async Task<JsonElement> CliJsonAsync(params string[] args) => JsonDocument.Parse(await CliOkAsync([.. args, "--json"])).RootElement;

    /// <summary>
    /// One request to the counter object <paramref name="name"/> through silo <paramref name="silo"/>'s
    /// HTTP gateway, retried while a killed silo is not yet declared dead or Redis is away.
    /// </summary>
    public async Task<CounterAnswer> CountAsync(string worker, string name, int silo)
    {
        var json = JsonDocument.Parse(await TextAsync(worker, "/" + name, silo)).RootElement;
        return new CounterAnswer(json.GetProperty("version").GetString()!, json.GetProperty("durable").GetInt32());
    }

    /// <summary>One request through silo <paramref name="silo"/>'s HTTP gateway: its status and the version that answered.</summary>
    public async Task<(int Status, Guid Version)> GetAsync(string worker, string path, int silo)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_httpPorts[silo - 1]}{path}");
        request.Headers.Host = $"{worker}.localhost";
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, Guid.Parse(response.Headers.GetValues("X-Simulator-Version-Id").Single()));
    }

    /// <summary>The body of a 200 to <paramref name="path"/> through silo <paramref name="silo"/>, retried while the cluster heals.</summary>
    public async Task<string> TextAsync(string worker, string path, int silo)
    {
        var (text, _) = await Core.Tests.Eventually.Until(
            $"{path} on silo {silo} to answer 200",
            TimeSpan.FromSeconds(90),
            async () =>
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_httpPorts[silo - 1]}{path}");
                    request.Headers.Host = $"{worker}.localhost";
                    using var response = await Http.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    return response.StatusCode == HttpStatusCode.OK ? (body, "200") : ((string?)null, $"{(int)response.StatusCode} {body.Trim()}");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return (null, ex.Message);
                }
            },
            result => result.Item1 is not null,
            TimeSpan.FromMilliseconds(200),
            Logs);
        return text!;
    }

    public sealed record CounterAnswer(string Version, int Durable);
}
