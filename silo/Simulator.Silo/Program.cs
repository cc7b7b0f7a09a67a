using System.Net;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;
using Simulator.Api;
using Simulator.Gateway;
using Simulator.Grains.Hosting;
using Simulator.Silo;

SiloSettings settings;
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
try
{
    settings = SiloSettings.Load(builder.Configuration, builder.Services, args, Environment.GetEnvironmentVariable);
}
catch (SettingsException ex)
{
    await Console.Error.WriteLineAsync("dosim silo: " + ex.Message);
    return 2;
}

builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(settings.ListenAddress, settings.HttpPort);
    // Each surface sets its own limit per request: Worker traffic 1 MiB, the API's uploads more.
    kestrel.Limits.MaxRequestBodySize = Math.Max(WorkerGateway.MaxBodyBytes, settings.ApiMaxBody);
    kestrel.Limits.MaxRequestHeadersTotalSize = WorkerGateway.MaxHeaderBytes;
});
IPAddress advertised;
try
{
    advertised = await SiloEndpoints.ResolveAsync(settings.AdvertisedAddress);
}
catch (SettingsException ex)
{
    await Console.Error.WriteLineAsync("dosim silo: " + ex.Message);
    return 2;
}

builder.UseOrleans(silo =>
{
    if (settings.Clustering == ClusteringProvider.Redis)
    {
        silo.UseRedisClustering(settings.Redis!);
        silo.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = ("dosim", "dosim-local"));
        silo.Configure<EndpointOptions>(o =>
        {
            (o.AdvertisedIPAddress, o.SiloPort, o.GatewayPort) = (advertised, settings.SiloPort, settings.GatewayPort);
            o.SiloListeningEndpoint = new IPEndPoint(settings.ListenAddress, settings.SiloPort);
            o.GatewayListeningEndpoint = new IPEndPoint(settings.ListenAddress, settings.GatewayPort);
        });
    }
    else
    {
        // Every silo joins the primary's membership table; all endpoints stay on loopback.
        silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, new IPEndPoint(IPAddress.Loopback, settings.PrimarySiloPort), serviceId: "dosim", clusterId: "dosim-local");
    }

    if (settings.Storage == StorageProvider.Redis)
    {
        silo.AddRedisGrainStorage(DurableObjectsSimulatorOptions.StorageName, options => options.Configure<Serializer>((redis, serializer) =>
        {
            redis.ConfigurationOptions = ConfigurationOptions.Parse(settings.Redis!);

            // Core's immutable records do not survive the default JSON; the Orleans serializer keeps them exact.
            redis.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));
    }

    if (settings.ProbeTimeout is { } probe)
    {
        silo.Configure<ClusterMembershipOptions>(o => o.ProbeTimeout = probe);
    }

    silo.AddDurableObjectsSimulator(o =>
    {
        o.DeployableWindow = settings.DeployableWindow;
        o.ResyncInterval = TimeSpan.FromSeconds(settings.ResyncIntervalSeconds);
        o.VirtualClockStart = settings.VirtualClockStart;
        o.PreventEviction = settings.PreventEviction;
        o.StoragePath = settings.Storage == StorageProvider.File ? settings.StoragePath : null;
        o.UseMemoryStorage = settings.Storage == StorageProvider.Memory;
        o.TraceEventsOutput = settings.TraceEvents;
    });
});

SiloTelemetry.Add(builder, settings);
builder.Services.AddPlatformApi(api => (api.Token, api.LogPath, api.MaxBodyBytes) = (settings.ApiToken, settings.ApiLog, settings.ApiMaxBody));
var app = builder.Build();
app.UsePlatformApi();
app.UseWorkerGateway();
try
{
    await app.StartAsync();
}
catch (Exception ex) when (ex is IOException or OrleansException)
{
    await Console.Error.WriteLineAsync($"dosim silo: could not start ({ex.GetBaseException().Message}). Is another silo using ports {settings.SiloPort}, {settings.GatewayPort} or {settings.HttpPort}? Pick others with --instance N or --silo-port/--gateway-port/--http-port.");
    return 1;
}

var membership = settings.Clustering == ClusteringProvider.Redis ? "membership in redis at " + settings.Redis : $"primary 127.0.0.1:{settings.PrimarySiloPort}";
Console.WriteLine($"dosim silo {settings.Instance} ready: silo {advertised}:{settings.SiloPort}, gateway {advertised}:{settings.GatewayPort}, http http://{settings.ListenAddress}:{settings.HttpPort} ({membership}), storage {settings.StorageDescription}, clock {(settings.VirtualClockStart is { } clockStart ? $"virtual from {clockStart:O}" : "real")}{(settings.PreventEviction ? ", eviction off" : string.Empty)}, telemetry {SiloTelemetry.Describe(settings)}, api http://{settings.ListenAddress}:{settings.HttpPort}{PlatformApi.BasePath}{(settings.ApiToken is null ? " (loopback clients, any token)" : " (token required)")}");
await app.WaitForShutdownAsync();

// Disposing flushes what telemetry still holds (the last metrics, batched spans, trace events) before the process ends.
await app.DisposeAsync();
Console.WriteLine($"dosim silo {settings.Instance} stopped");
return 0;
