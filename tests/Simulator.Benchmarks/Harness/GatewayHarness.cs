using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Simulator.Contracts;
using Simulator.Gateway;
using Simulator.Grains.Hosting;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// Requests/s through gateway → worker → Durable Object against a bare ASP.NET endpoint calling a
/// bare grain doing the same work, both served by one in-process silo on loopback, in one run.
/// </summary>
public static class GatewayHarness
{
    public static async Task RunAsync(int requests, int rounds, int concurrency)
    {
        await using var rig = await GatewayRig.StartAsync(concurrency);
        Task<double> Simulated(int n) => rig.DriveAsync("gw.localhost", n);
        Task<double> Bare(int n) => rig.DriveAsync("bare.test", n);
        await Simulated(requests);
        await Bare(requests);

        var median = await LoadHarness.AlternateAsync(rounds, () => Bare(requests), () => Simulated(requests), (round, simulated, bare) => $"  round {round}: gateway {simulated:N0} requests/s, bare ASP.NET + grain {bare:N0} requests/s, ratio {simulated / bare:0.00}");
        Console.WriteLine($"Gateway requests/s, gateway → worker → object / bare endpoint → grain: median ratio {median:0.00} (target 0.85 or better)");
    }
}

/// <summary>
/// One in-process silo serving the HTTP gateway (worker "gw", the counter script) and a bare
/// endpoint (host bare.test) that calls a bare grain, with a client to load either.
/// </summary>
internal sealed class GatewayRig : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;
    private readonly string _baseUrl;
    private readonly int _concurrency;

    private GatewayRig(WebApplication app, int httpPort, int concurrency)
    {
        (_app, _baseUrl, _concurrency) = (app, $"http://127.0.0.1:{httpPort}", concurrency);
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency });
    }

    public IServiceProvider Services => _app.Services;

    /// <param name="concurrency">Requests in flight at once.</param>
    /// <param name="javaScript">When given, also deployed as worker "gwjs" (the harness's JavaScript path).</param>
    public static async Task<GatewayRig> StartAsync(int concurrency, Workers.WorkerProject? javaScript = null)
    {
        var httpPort = FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, httpPort));
        builder.UseOrleans(silo => silo.UseLocalhostClustering(FreePort(), FreePort()).AddDurableObjectsSimulator(o => o.PreventEviction = true)); // the bare grain stays in memory too
        var app = builder.Build();
        app.MapWhen(c => c.Request.Host.Host == "bare.test", bare => bare.Run(async context =>
        {
            var grains = context.RequestServices.GetRequiredService<IGrainFactory>();
            var response = await grains.GetGrain<IBareStorageCounterGrain>(Core.DurableObjectId.FromName("Counter", context.Request.Path.Value!.Trim('/'))).Fetch(WorkerRequest.Get("https://bare.test" + context.Request.Path));
            context.Response.StatusCode = response.Status;
            await context.Response.Body.WriteAsync(response.Body);
        }));
        app.UseWorkerGateway();
        await app.StartAsync();
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IDeploymentGrain>("gw").Deploy(new Core.VersionDraft { Script = "counter", Tag = "A" }, null, null);
        if (javaScript is not null)
        {
            await grains.GetGrain<IDeploymentGrain>("gwjs").Deploy(javaScript.Draft("A"), null, null);
        }

        return new GatewayRig(app, httpPort, concurrency);
    }

    /// <summary>Sends <paramref name="count"/> requests to <paramref name="host"/>; returns requests per second.</summary>
    public async Task<double> DriveAsync(string host, int count)
    {
        var (http, baseUrl) = (_http, _baseUrl);
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, _concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{baseUrl}/o{i % 1000}");
                request.Headers.Host = host;
                using var response = await http.SendAsync(request);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
            }
        }));
        return count / clock.Elapsed.TotalSeconds;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
