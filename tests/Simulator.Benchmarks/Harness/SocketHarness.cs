using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Gateway;
using Simulator.Grains.Hosting;
using Simulator.Workers;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// Issue 23's WebSocket figures (<c>harness --websockets</c>), the load always from a client
/// process of its own (<see cref="SocketLoadClient"/>): memory per open socket on one in-process
/// silo (gateway and object side together) and per hibernated object beyond its sockets; echo round
/// trips/s through dosim's gateway against workerd on the same bundle; and a broadcast's delivery
/// latency to every socket of a room.
/// </summary>
public static class SocketHarness
{
    // Each socket on the hibernation API; "all:…" goes to every socket of the room, anything else back.
    private const string Bundle = """
        import { DurableObject } from "cloudflare:workers";
        export class Room extends DurableObject {
          async fetch(request) {
            const [client, server] = Object.values(new WebSocketPair());
            this.ctx.acceptWebSocket(server);
            server.send("ready");
            return new Response(null, { status: 101, webSocket: client });
          }
          webSocketMessage(ws, message) {
            if (typeof message === "string" && message.startsWith("all:")) {
              for (const socket of this.ctx.getWebSockets()) socket.send(message);
              return;
            }
            ws.send(message);
          }
          webSocketClose(ws) { ws.close(1000, "bye"); }
        }
        export default { fetch: (request, env) => env.ROOM.getByName(new URL(request.url).pathname.slice(1)).fetch(request) };
        """;

    private const string Config = """
        name = "sockets"
        main = "index.js"
        compatibility_date = "2026-11-01"
        [[durable_objects.bindings]]
        name = "ROOM"
        class_name = "Room"
        [[migrations]]
        tag = "v1"
        new_classes = ["Room"]
        """;

    private const string Host = "sockets.localhost";

    public static async Task RunAsync(int objects, int perObject, int echoSockets, int seconds, int warmUpSeconds, int rounds, int broadcastSockets, int broadcasts)
    {
        Console.WriteLine($"WebSockets: {objects:N0} rooms x {perObject} sockets held; echo with {echoSockets} sockets, {seconds} s x {rounds} rounds against workerd after {warmUpSeconds} s of each; broadcast to {broadcastSockets:N0} sockets x {broadcasts}");
        await MemoryAsync(objects, perObject);
        await using var dosim = await Rig.StartAsync(virtualClock: false);
        await using var workerd = await Workerd.StartAsync();

        // dosim's code reaches its steady state (the JIT's tiers) after about 30 s of this load on
        // 2 cores; both servers get the same warm-up.
        await ClientAsync("echo", dosim.Port, echoSockets, warmUpSeconds);
        await ClientAsync("echo", workerd.Port, echoSockets, warmUpSeconds);
        // The load client shares the 2 cores with the server, so each round also reads the server's
        // own CPU time per round trip (this process for dosim, workerd's for workerd).
        var (dosimCpu, workerdCpu) = (new List<double>(), new List<double>());
        async Task<double> EchoAsync(int port, Func<TimeSpan> cpu, List<double> perRoundTrip)
        {
            var before = cpu();
            var rate = double.Parse(await ClientAsync("echo", port, echoSockets, seconds), CultureInfo.InvariantCulture);
            perRoundTrip.Add((cpu() - before).TotalMicroseconds / (rate * seconds));
            return rate;
        }

        var median = await LoadHarness.AlternateAsync(rounds,
            () => EchoAsync(workerd.Port, workerd.CpuTime, workerdCpu),
            () => EchoAsync(dosim.Port, () => Process.GetCurrentProcess().TotalProcessorTime, dosimCpu),
            (round, simulated, platform) => $"  round {round}: dosim {simulated:N0} round trips/s ({dosimCpu[^1]:0.0} µs of CPU each), workerd {platform:N0} ({workerdCpu[^1]:0.0} µs), ratio {simulated / platform:0.00}");
        Console.WriteLine($"Echo round trips/s through the gateway, dosim / workerd {Workerd.Version}: median {median:0.00} (target 1.5 or better)");
        Console.WriteLine($"  the server's CPU per round trip: dosim median {LoadHarness.Median([.. dosimCpu.Order()]):0.0} µs, workerd {LoadHarness.Median([.. workerdCpu.Order()]):0.0} µs");

        await ClientAsync("broadcast", dosim.Port, broadcastSockets, 3);
        var latency = (await ClientAsync("broadcast", dosim.Port, broadcastSockets, broadcasts)).Split(' ');
        Console.WriteLine($"Broadcast to {broadcastSockets:N0} sockets of one room, {broadcasts} times: p50 {latency[0]} ms, p99 {latency[1]} ms, max {latency[2]} ms (target p99 50 ms or less)");
        var platformLatency = (await ClientAsync("broadcast", workerd.Port, broadcastSockets, broadcasts)).Split(' ');
        Console.WriteLine($"  workerd, the same: p50 {platformLatency[0]} ms, p99 {platformLatency[1]} ms, max {platformLatency[2]} ms");
    }

    // The silo's managed heap with no sockets, with rooms × n sockets open, and once the rooms have
    // hibernated; with n and with one socket a room, so what a hibernated room costs beyond its
    // sockets is the intercept of the line through the two. That intercept also holds what the run
    // adds once, whatever the number of rooms (the Worker's 256 object index partitions, Kestrel's
    // pool of free buffers), spread over the rooms; a last run with half the rooms and one socket
    // each gives the cost of one more room alone (the slope between the two one-socket runs).
    private static async Task MemoryAsync(int objects, int perObject)
    {
        if (objects < 2 || perObject < 2)
        {
            throw new ArgumentException($"The memory runs compare rooms with --per-object sockets against rooms with one, and --objects rooms against half as many: both must be at least 2 (given {objects} and {perObject}).");
        }

        // A run's silo lets go of some of what it held (about 24 MB of it, once) only a while after
        // it stopped: read as the next run's baseline, that made the next reading negative. So each
        // run starts once the heap is back under the run before's baseline. And the first run in a
        // process also pays for what the process keeps afterwards (pools, caches: 2.2 MB once),
        // so a smaller run, not read, goes first.
        var (_, _, warmBaseline) = await HeldAsync(Math.Max(1, objects / 10), perObject);
        await ReleasedAsync(warmBaseline);
        var (activeMany, hibernatedMany, manyBaseline) = await HeldAsync(objects, perObject);
        await ReleasedAsync(manyBaseline);
        var (_, hibernatedOne, oneBaseline) = await HeldAsync(objects, 1);
        await ReleasedAsync(oneBaseline);
        var half = objects / 2;
        var (_, hibernatedHalf, _) = await HeldAsync(half, 1);
        var perSocketHibernated = (hibernatedMany - hibernatedOne) / (double)(objects * (perObject - 1));
        var beyond = (hibernatedOne / (double)objects) - perSocketHibernated;
        var oneMore = ((hibernatedOne - hibernatedHalf) / (double)(objects - half)) - perSocketHibernated;
        Console.WriteLine($"Memory per open socket, {objects * perObject:N0} sockets over {objects:N0} active rooms (gateway and object side, managed heap): {activeMany / (double)(objects * perObject) / 1024:0.00} KiB (target 16 KiB or less)");
        Console.WriteLine($"Hibernated: {hibernatedMany / (double)objects / 1024:0.00} KiB per room with {perObject} sockets; {perSocketHibernated / 1024:0.00} KiB per socket; a room beyond its sockets {beyond / 1024:0.00} KiB (target 4 KiB or less)");
        Console.WriteLine($"  one more hibernated room, beyond its sockets ({half:N0} against {objects:N0} rooms, what each run adds once left out): {oneMore / 1024:0.00} KiB");
    }

    private static async Task ReleasedAsync(long limit)
    {
        var clock = Stopwatch.StartNew();
        while (Heap() > limit)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                Console.WriteLine($"  (the heap stayed above the first run's baseline for {clock.Elapsed.TotalSeconds:0} s: the next reading may be low)");
                return;
            }

            await Task.Delay(2000);
        }
    }

    private static async Task<(long Active, long Hibernated, long Baseline)> HeldAsync(int objects, int perObject)
    {
        await using var rig = await Rig.StartAsync(virtualClock: true);
        // Warm the path (engine, gateway, grain types) with one room, closed before the baseline.
        await ClientAsync("hold", rig.Port, 1, 1);
        await rig.AdvanceAsync(TimeSpan.FromSeconds(20));
        var baseline = Heap();
        using var client = Process.Start(Start("hold", rig.Port, objects, perObject))!;
        var ready = await client.StandardOutput.ReadLineAsync();
        if (ready is null || !ready.StartsWith("ready", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the load client did not hold its sockets: {ready} {await client.StandardError.ReadToEndAsync()}");
        }

        var active = Heap() - baseline;
        await rig.AdvanceAsync(TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();
        while (await rig.HibernatedAsync() < objects && clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(200);
        }

        // The registry counts a room hibernated as it deactivates; Orleans tears the activation down
        // after that, so the heap is read once it has stopped shrinking.
        var hibernated = await SettledHeapAsync() - baseline;
        client.StandardInput.Close();
        await client.WaitForExitAsync();
        return (active, hibernated, baseline);
    }

    private static async Task<long> SettledHeapAsync()
    {
        var heap = Heap();
        for (var tries = 0; tries < 30; tries++)
        {
            await Task.Delay(1000);
            var next = Heap();
            if (heap - next < heap / 200)
            {
                return next;
            }

            heap = next;
        }

        return heap;
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static ProcessStartInfo Start(string mode, int port, int a, int b)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { typeof(SocketHarness).Assembly.Location, "harness", "--socket-client", mode, $"{port}", Host, $"{a}", $"{b}" })
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static async Task<string> ClientAsync(string mode, int port, int a, int b)
    {
        using var client = Process.Start(Start(mode, port, a, b))!;
        client.StandardInput.Close();
        var output = await client.StandardOutput.ReadToEndAsync();
        await client.WaitForExitAsync();
        if (client.ExitCode != 0)
        {
            throw new InvalidOperationException($"the load client failed ({mode}): {await client.StandardError.ReadToEndAsync()}");
        }

        return output.Trim().Split('\n')[^1];
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Simulator.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Simulator.sln above {AppContext.BaseDirectory}: run the harness from its build output in the repository.");
    }

    /// <summary>One in-process silo serving the gateway, with the bundle deployed as worker "sockets".</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Rig(WebApplication app, int port) => (_app, Port) = (app, port);

        public int Port { get; }

        private IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

        public static async Task<Rig> StartAsync(bool virtualClock)
        {
            var port = GatewayRig.FreePort();
            var builder = WebApplication.CreateBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
            builder.UseOrleans(silo => silo.UseLocalhostClustering(GatewayRig.FreePort(), GatewayRig.FreePort()).AddDurableObjectsSimulator(options =>
            {
                options.VirtualClockStart = virtualClock ? DateTimeOffset.UtcNow : null;
                options.RecordTelemetry = false;
            }));
            var app = builder.Build();
            app.UseWorkerGateway();
            await app.StartAsync();
            var draft = WorkerProject.From([new WorkerModule("index.js", Bundle)], WranglerConfig.Parse(Config, "toml")).Draft("A");
            await app.Services.GetRequiredService<IGrainFactory>().GetGrain<IDeploymentGrain>("sockets").Deploy(draft, null, null);
            return new Rig(app, port);
        }

        public Task<ClockReading> AdvanceAsync(TimeSpan by) => Grains.GetGrain<IClockGrain>(0).Advance(by);

        public async Task<int> HibernatedAsync() =>
            (await Grains.GetGrain<IWorkerQueryGrain>("sockets").Objects(new ObjectFilter())).Count(o => o.IsHibernated);

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>workerd (from .tools) serving the same bundle, with in-memory object storage.</summary>
    private sealed class Workerd : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly DirectoryInfo _folder;

        private Workerd(Process process, DirectoryInfo folder, int port) => (_process, _folder, Port) = (process, folder, port);

        public static string Binary => Path.Combine(RepositoryRoot(), ".tools", "node_modules", ".bin", "workerd");

        public static string Version => Process.Start(new ProcessStartInfo(Binary, "--version") { RedirectStandardOutput = true })!.StandardOutput.ReadToEnd().Trim();

        public int Port { get; }

        public TimeSpan CpuTime()
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }

        public static async Task<Workerd> StartAsync()
        {
            if (!File.Exists(Binary))
            {
                throw new InvalidOperationException($"workerd is not installed at {Binary}: `npm install --prefix .tools workerd@1.20261117.1`.");
            }

            var folder = Directory.CreateTempSubdirectory("dosim-bench-workerd-");
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "index.js"), Bundle);
            var port = GatewayRig.FreePort();
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "config.capnp"), $$"""
                using Workerd = import "/workerd/workerd.capnp";
                const config :Workerd.Config = (
                  services = [ (name = "main", worker = .worker) ],
                  sockets = [ (name = "http", address = "127.0.0.1:{{port}}", http = (), service = "main") ],
                );
                const worker :Workerd.Worker = (
                  modules = [ (name = "index.js", esModule = embed "index.js") ],
                  compatibilityDate = "2026-11-01",
                  bindings = [ (name = "ROOM", durableObjectNamespace = "Room") ],
                  durableObjectNamespaces = [ (className = "Room", uniqueKey = "dosim-bench-sockets") ],
                  durableObjectStorage = (inMemory = void),
                );
                """);
            var process = Process.Start(new ProcessStartInfo(Binary) { ArgumentList = { "serve", Path.Combine(folder.FullName, "config.capnp") }, RedirectStandardOutput = true, RedirectStandardError = true })!;
            using var probe = new HttpClient();
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var response = await probe.GetAsync(new Uri($"http://127.0.0.1:{port}/probe"));
                    return new Workerd(process, folder, port);
                }
                catch (HttpRequestException) when (attempt < 100)
                {
                    await Task.Delay(100);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
            _folder.Delete(recursive: true);
        }
    }
}
