using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Simulator.Grains.Hosting;

namespace Simulator.EndToEnd.Tests;

/// <summary>
/// The CLI holds no cluster logic: each read command, run as a process against a silo hosted in
/// this test (on free loopback ports), makes exactly one grain call, to the query API. The silo
/// records every call that comes from a client.
/// </summary>
public sealed class CliReadsTests : IAsyncLifetime
{
    private static readonly ConcurrentQueue<string> ClientCalls = new();
    private readonly int _gatewayPort = Build.FreePort();
    private IHost _silo = null!;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(Build.FreePort(), _gatewayPort, serviceId: "dosim", clusterId: "dosim-local")
            .AddDurableObjectsSimulator(o => o.ResyncInterval = TimeSpan.FromHours(1)) // its re-sync calls come from the silo, not the CLI
            .AddIncomingGrainCallFilter(async context =>
            {
                // The simulator's grains; Orleans' own system calls (membership, manifest) are not the CLI's.
                const string Ours = "Simulator.Contracts.";
                // The silo's own calls go through its hosted client ("hosted-…"): at start it wakes alarm indexes.
                if (context.SourceId is { } source && source.IsClient() && !source.Key.ToString()!.StartsWith("hosted-", StringComparison.Ordinal))
                {
                    if (context.InterfaceName.StartsWith(Ours, StringComparison.Ordinal))
                    {
                        ClientCalls.Enqueue($"{context.InterfaceName[Ours.Length..]}.{context.MethodName}");
                    }
                    else if (context.InterfaceName.EndsWith("IAsyncEnumerableGrainExtension", StringComparison.Ordinal) && context.MethodName.StartsWith("StartEnumeration", StringComparison.Ordinal))
                    {
                        // A streamed answer starts with one call, through Orleans' extension on the grain.
                        ClientCalls.Enqueue($"{context.TargetId.Type}.StartEnumeration");
                    }
                }

                await context.Invoke();
            }));
        _silo = builder.Build();
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.StopAsync();
        _silo.Dispose();
    }

    private async Task<List<string>> CallsOf(params string[] args)
    {
        ClientCalls.Clear();
        var result = await Run.ProcessAsync("dotnet", [Build.CliDll, .. args, "--name", "reads", "--cluster", $"127.0.0.1:{_gatewayPort}"], new Dictionary<string, string>());
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. ClientCalls];
    }

    [Fact]
    public async Task Every_read_command_is_one_call_to_the_query_api()
    {
        Assert.Equal(["IDeploymentGrain.Deploy"], await CallsOf("deploy", "--script", "counter", "--tag", "A"));
        Assert.Equal(["IDeploymentGrain.UploadVersion"], await CallsOf("versions", "upload", "--script", "counter", "--tag", "B"));

        var reads = new[]
        {
            new[] { "versions", "list" },
            ["versions", "list", "--json"],
            ["versions", "view", "B"],
            ["versions", "deploy", "B@50%", "A@50%", "--dry-run"],
            ["deployments", "list"],
            ["deployments", "status", "--json"],
            ["objects"],
            ["objects", "--active", "--version", "A", "--json"],
            ["analytics"],
            ["analytics", "--json"],
            ["tail", "--once", "--version", "A"],
        };
        foreach (var read in reads)
        {
            var calls = await CallsOf(read);
            Assert.True(calls.Count == 1 && (calls[0].StartsWith("IWorkerQueryGrain.", StringComparison.Ordinal) || calls[0] == "workertail.StartEnumeration"), $"dosim {string.Join(' ', read)} made {calls.Count} calls: {string.Join(", ", calls)}");
        }
    }
}
