using System.Net;
using Orleans.Configuration;
using Simulator.Gateway;
using Simulator.Grains.Hosting;
using Simulator.Silo;

SiloSettings settings;
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
try
{
    settings = SiloSettings.Load(builder.Configuration, args, Environment.GetEnvironmentVariable);
}
catch (SettingsException ex)
{
    await Console.Error.WriteLineAsync("dosim silo: " + ex.Message);
    return 2;
}

builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(IPAddress.Loopback, settings.HttpPort);
    kestrel.Limits.MaxRequestBodySize = WorkerGateway.MaxBodyBytes;
    kestrel.Limits.MaxRequestHeadersTotalSize = WorkerGateway.MaxHeaderBytes;
});
builder.UseOrleans(silo =>
{
    // Every silo joins the primary's membership table; all endpoints stay on loopback.
    silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, new IPEndPoint(IPAddress.Loopback, settings.PrimarySiloPort), serviceId: "dosim", clusterId: "dosim-local");
    if (settings.ProbeTimeout is { } probe)
    {
        silo.Configure<ClusterMembershipOptions>(o => o.ProbeTimeout = probe);
    }

    silo.AddDurableObjectsSimulator(o =>
    {
        o.DeployableWindow = settings.DeployableWindow;
        o.StoragePath = settings.StoragePath;
    });
});

var app = builder.Build();
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

Console.WriteLine($"dosim silo {settings.Instance} ready: silo 127.0.0.1:{settings.SiloPort}, gateway 127.0.0.1:{settings.GatewayPort}, http http://127.0.0.1:{settings.HttpPort} (primary 127.0.0.1:{settings.PrimarySiloPort}), storage {(settings.StoragePath is null ? "in memory" : "files in " + settings.StoragePath)}");
await app.WaitForShutdownAsync();
Console.WriteLine($"dosim silo {settings.Instance} stopped");
return 0;
