using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Simulator.Grains.Hosting;
using Simulator.Grains.Storage;

namespace Simulator.Client;

/// <summary>A connection to a cluster: as an Orleans client of running silos, or an embedded in-process silo.</summary>
internal sealed class Cluster : IAsyncDisposable
{
    public const string DefaultEndpoints = "127.0.0.1:30000";

    private const string RedisScheme = "redis://";

    private readonly IHost _host;

    // The embedded silo, when this process runs one (the client above reaches it through its gateway).
    private readonly IHost? _silo;

    private Cluster(IHost host, string description, IHost? silo = null)
    {
        _host = host;
        _silo = silo;
        Description = description;
        Grains = host.Services.GetRequiredService<IGrainFactory>();
    }

    public IGrainFactory Grains { get; }

    public string Description { get; }

    /// <summary>
    /// Connects to the silos' gateways, e.g. "127.0.0.1:30000,127.0.0.1:30001" (host names allowed),
    /// or finds them in the cluster's Redis membership table: "redis://127.0.0.1:6379".
    /// </summary>
    public static Task<Cluster> ConnectAsync(string endpoints, CancellationToken cancellation) => ConnectAsync(endpoints, "dosim-local", null, cancellation);

    private static async Task<Cluster> ConnectAsync(string endpoints, string clusterId, IHost? silo, CancellationToken cancellation)
    {
        var redis = endpoints.StartsWith(RedisScheme, StringComparison.OrdinalIgnoreCase) ? endpoints[RedisScheme.Length..] : null;
        if (redis is { Length: 0 })
        {
            throw new CliException(ExitCodes.Usage, "--cluster redis:// names no Redis server: write redis://host:port, e.g. redis://127.0.0.1:6379.");
        }

        var gateways = redis is null ? await ParseEndpointsAsync(endpoints, cancellation) : [];
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            if (redis is null)
            {
                client.UseStaticClustering(gateways);
            }
            else
            {
                client.UseRedisClustering(redis);
            }

            client.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = ("dosim", clusterId));
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));

            // A CLI should say quickly that nothing is listening: retry for about 5 seconds, not minutes.
            var attempts = 0;
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                if (++attempts > 5)
                {
                    return false;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                return true;
            });
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellation);
        }
        catch (Exception ex)
        {
            host.Dispose();
            throw ex is OperationCanceledException ? ex
                : silo is not null ? new CliException(ExitCodes.Unreachable, $"The embedded silo did not answer on its gateway {endpoints} ({ex.GetBaseException().Message}).")
                : new CliException(ExitCodes.Unreachable, $"Cannot reach the cluster at {endpoints} ({ex.GetBaseException().Message}). Start a silo (`dotnet run --project silo/Simulator.Silo`) or pass --cluster host:port.");
        }

        return new Cluster(host, silo is null ? endpoints : "an embedded in-process silo", silo);
    }

    /// <summary>Starts a single silo inside this process, on free loopback ports.</summary>
    public static async Task<Cluster> StartEmbeddedAsync(CancellationToken cancellation, Action<DurableObjectsSimulatorOptions>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort, serviceId: "dosim", clusterId: "dosim-embedded")
            .AddDurableObjectsSimulator(o =>
            {
                // One silo in this process: its state in this process's memory, written with no
                // grain call (Orleans' memory storage makes one per write, to a storage grain).
                o.SharedStore = new SharedMemoryStore();
                configure?.Invoke(o);
            }));
        var silo = builder.Build();

        // Reached as any client reaches a cluster, through the silo's gateway: calls made from
        // outside a grain with the silo's own grain factory ran a third slower (a replay's
        // 792,000 requests: 41.8 s against 30.2 s).
        try
        {
            await silo.StartAsync(cancellation);
            return await ConnectAsync($"127.0.0.1:{gatewayPort}", "dosim-embedded", silo, cancellation);
        }
        catch
        {
            await silo.StopAsync(CancellationToken.None);
            silo.Dispose();
            throw;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<IPEndPoint[]> ParseEndpointsAsync(string endpoints, CancellationToken cancellation)
    {
        var result = new List<IPEndPoint>();
        foreach (var part in endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part[(colon + 1)..], out var port) || port is < 1 or > 65535)
            {
                throw new CliException(ExitCodes.Usage, $"'{part}' is not a gateway endpoint: write host:port, e.g. --cluster 127.0.0.1:30000,127.0.0.1:30001.");
            }

            var host = part[..colon];
            if (!IPAddress.TryParse(host, out var address))
            {
                var addresses = await Dns.GetHostAddressesAsync(host, AddressFamily.InterNetwork, cancellation);
                address = addresses.FirstOrDefault() ?? throw new CliException(ExitCodes.Usage, $"Cannot resolve '{host}'.");
            }

            result.Add(new IPEndPoint(address, port));
        }

        return result.Count > 0 ? [.. result] : throw new CliException(ExitCodes.Usage, "--cluster names no endpoint: write host:port[,host:port…].");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync();
            _host.Dispose();
        }
        finally
        {
            if (_silo is not null)
            {
                await _silo.StopAsync();
                _silo.Dispose();
            }
        }
    }
}

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Refused = 1;
    public const int Usage = 2;
    public const int Conflict = 3;
    public const int Unreachable = 4;
}

/// <summary>A failure the CLI reports as one line on stderr with its exit code.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
