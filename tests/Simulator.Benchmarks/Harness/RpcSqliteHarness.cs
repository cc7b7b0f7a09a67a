using System.Diagnostics;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Testing;
using Simulator.Workers;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// What issue 22 added, each against the path it replaces, in one run: a Worker calling its object
/// over JS RPC against the same Worker calling it with <c>stub.fetch()</c>; a SQLite-backed object
/// doing an INSERT and a SELECT per call against the KV counter; memory per active SQLite-backed
/// object (managed heap and SQLite's own allocations); and 100,000 alarms due at one instant of a
/// virtual clock.
/// </summary>
public static class RpcSqliteHarness
{
    private const string Config = """
        name = "bench"
        main = "index.js"
        [[durable_objects.bindings]]
        name = "COUNTER"
        class_name = "Counter"
        [[migrations]]
        tag = "v1"
        new_sqlite_classes = ["Counter"]
        """;

    // The same object reached both ways: count() over RPC, fetch() over HTTP; each answers the
    // count. The Worker uses the count (?rpc, ?fetch: it reads the object's JSON answer) or, the
    // fetch path's own shortcut (?pass), hands the object's response on unread.
    private const string RpcOrFetch = """
        import { DurableObject } from "cloudflare:workers";
        export class Counter extends DurableObject {
          async count() { const n = ((await this.ctx.storage.get("n")) ?? 0) + 1; await this.ctx.storage.put("n", n); return n; }
          async fetch() { return Response.json(await this.count()); }
        }
        export default {
          async fetch(request, env) {
            const url = new URL(request.url);
            const stub = env.COUNTER.getByName(url.pathname);
            if (url.searchParams.has("rpc")) return Response.json(await stub.count());
            if (url.searchParams.has("fetch")) return Response.json(await (await stub.fetch(request)).json());
            // Ten calls in a row from one request: the calls' own cost, the Worker's invocation shared.
            if (url.searchParams.has("rpc10")) { let n = 0; for (let i = 0; i < 10; i++) n = await stub.count(); return Response.json(n); }
            if (url.searchParams.has("fetch10")) { let n = 0; for (let i = 0; i < 10; i++) n = await (await stub.fetch(request)).json(); return Response.json(n); }
            return stub.fetch(request);
          },
        };
        """;

    // One INSERT and one SELECT per call.
    private const string Sql = """
        import { DurableObject } from "cloudflare:workers";
        export class Counter extends DurableObject {
          constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, at INTEGER)"); }
          async fetch() {
            this.ctx.storage.sql.exec("INSERT INTO hits (at) VALUES (?)", Date.now());
            return Response.json(this.ctx.storage.sql.exec("SELECT count(*) AS n FROM hits").one().n);
          }
        }
        export default { fetch: (request, env) => env.COUNTER.getByName(new URL(request.url).pathname).fetch(request) };
        """;

    // An alarm per object, set at its first request, all due at one instant.
    private const string Alarms = """
        import { DurableObject } from "cloudflare:workers";
        export class Counter extends DurableObject {
          async fetch(request) {
            const at = Number(new URL(request.url).searchParams.get("at"));
            if (at) await this.ctx.storage.setAlarm(at);
            return Response.json((await this.ctx.storage.get("fired")) ?? 0);
          }
          async alarm() { await this.ctx.storage.put("fired", ((await this.ctx.storage.get("fired")) ?? 0) + 1); }
        }
        export default { fetch: (request, env) => env.COUNTER.getByName(new URL(request.url).pathname).fetch(request) };
        """;

    public static async Task RunAsync(int objects, int calls, int rounds, int concurrency, int alarms)
    {
        await using (var cluster = await DurableObjectsTestCluster.StartAsync(1))
        {
            await RpcAgainstFetchAsync(cluster, calls, rounds, concurrency);
            await SqliteAgainstKvAsync(cluster, calls, rounds, concurrency);
            await SqliteMemoryAsync(cluster, objects, concurrency);
        }

        await AlarmsAsync(alarms, concurrency);
    }

    private static VersionDraft Draft(string code, string config = Config) =>
        WorkerProject.From([new WorkerModule("index.js", code)], WranglerConfig.Parse(config, "toml")).Draft("A");

    private static async Task RpcAgainstFetchAsync(DurableObjectsTestCluster cluster, int calls, int rounds, int concurrency)
    {
        const int Keys = 1000;
        var worker = cluster.Worker("rpcbench");
        await worker.DeployAsync(Draft(RpcOrFetch));
        var grain = cluster.Client.GetGrain<IWorkerGrain>(worker.Name);
        WorkerRequest[] Requests(string query) => [.. Enumerable.Range(0, Keys).Select(i => WorkerRequest.Get($"https://rpcbench.localhost/t{i}?{query}"))];
        var (rpc, fetch, pass) = (Requests("rpc"), Requests("fetch"), Requests("pass"));
        Task<double> Rpc(int n) => LoadHarness.Drive(n, concurrency, i => grain.Invoke(rpc[i % Keys]));
        Task<double> Fetch(int n) => LoadHarness.Drive(n, concurrency, i => grain.Invoke(fetch[i % Keys]));
        Task<double> Pass(int n) => LoadHarness.Drive(n, concurrency, i => grain.Invoke(pass[i % Keys]));
        await Rpc(calls / 4);
        await Fetch(calls / 4);
        await Pass(calls / 4);
        var median = await LoadHarness.AlternateAsync(rounds, () => Fetch(calls / 4), () => Rpc(calls / 4), (round, r, f) => $"  round {round}: Worker → object over RPC {r:N0} calls/s, over stub.fetch() and json() {f:N0} calls/s, ratio {r / f:0.00}");
        Console.WriteLine($"Worker → object RPC calls/s, RPC / fetch (the Worker uses the count either way): median ratio {median:0.00} (target 1.3 or better)");
        var passed = await LoadHarness.AlternateAsync(rounds, () => Pass(calls / 4), () => Rpc(calls / 4), (round, r, f) => $"  round {round}: Worker → object over RPC {r:N0} calls/s, stub.fetch() response handed on unread {f:N0} calls/s, ratio {r / f:0.00}");
        Console.WriteLine($"Worker → object RPC calls/s, RPC / fetch (fetch's response handed on unread): median ratio {passed:0.00}");
        // The object's grain called directly both ways: the object's side with its grain call.
        using var encoder = new Jint.Engine();
        var noArgs = new Simulator.Grains.Runtime.JavaScript.StructuredClone(encoder, _ => null).WriteArguments([]);
        var objects = Enumerable.Range(0, Keys).Select(i => cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format("rpcbench", "Counter", DurableObjectId.FromName("Counter", "/t" + i)))).ToArray();
        var direct = WorkerRequest.Get("https://rpcbench.localhost/d");
        Task<double> DirectRpc(int n) => LoadHarness.Drive(n, concurrency, i => objects[i % Keys].Invoke(new RpcCall("count", noArgs, "/t" + (i % Keys), null)));
        Task<double> DirectFetch(int n) => LoadHarness.Drive(n, concurrency, i => objects[i % Keys].Fetch(direct));
        await DirectRpc(calls / 4);
        await DirectFetch(calls / 4);
        var directRatio = await LoadHarness.AlternateAsync(rounds, () => DirectFetch(calls / 4), () => DirectRpc(calls / 4), (round, r, f) => $"  round {round}: object grain over RPC {r:N0} calls/s, fetch {f:N0} calls/s, ratio {r / f:0.00}");
        Console.WriteLine($"Object grain calls/s, RPC / fetch: median ratio {directRatio:0.00}");
        var (rpc10, fetch10) = (Requests("rpc10"), Requests("fetch10"));
        Task<double> Rpc10(int n) => LoadHarness.Drive(n, concurrency, i => grain.Invoke(rpc10[i % Keys]));
        Task<double> Fetch10(int n) => LoadHarness.Drive(n, concurrency, i => grain.Invoke(fetch10[i % Keys]));
        await Rpc10(calls / 40);
        await Fetch10(calls / 40);
        var tens = await LoadHarness.AlternateAsync(rounds, () => Fetch10(calls / 40), () => Rpc10(calls / 40), (round, r, f) => $"  round {round}: ten calls per request over RPC {r * 10:N0} calls/s, over stub.fetch() and json() {f * 10:N0} calls/s, ratio {r / f:0.00}");
        Console.WriteLine($"Worker → object calls/s, ten per request, RPC / fetch: median ratio {tens:0.00}");
        var rpcBytes = await LoadHarness.AllocatedPerCall(calls / 4, concurrency, i => grain.Invoke(rpc[i % Keys]));
        var fetchBytes = await LoadHarness.AllocatedPerCall(calls / 4, concurrency, i => grain.Invoke(fetch[i % Keys]));
        Console.WriteLine($"Allocated per call (whole process): RPC {rpcBytes:N0} B, fetch {fetchBytes:N0} B");
        await LoadHarness.PrintAllocationsAsync("the RPC calls", () => Rpc(calls / 4));
        await LoadHarness.PrintAllocationsAsync("the fetch calls", () => Fetch(calls / 4));
    }

    private static async Task SqliteAgainstKvAsync(DurableObjectsTestCluster cluster, int calls, int rounds, int concurrency)
    {
        const int Keys = 1000;
        var sql = cluster.Worker("sqlbench");
        await sql.DeployAsync(Draft(Sql));
        var kv = cluster.Worker("kvbench");
        await kv.DeployAsync(JavaScriptHarness.ExampleCounter().Draft("A"));
        IDurableObjectGrain Grain(string worker, int i) => cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format(worker, "Counter", DurableObjectId.FromName("Counter", "t" + i)));
        var sqlite = Enumerable.Range(0, Keys).Select(i => Grain("sqlbench", i)).ToArray();
        var counter = Enumerable.Range(0, Keys).Select(i => Grain("kvbench", i)).ToArray();
        var request = WorkerRequest.Get("https://bench.localhost/t");
        Task<double> Sqlite(int n) => LoadHarness.Drive(n, concurrency, i => sqlite[i % Keys].Fetch(request));
        Task<double> Kv(int n) => LoadHarness.Drive(n, concurrency, i => counter[i % Keys].Fetch(request));
        await Sqlite(calls / 4);
        await Kv(calls / 4);
        var median = await LoadHarness.AlternateAsync(rounds, () => Kv(calls / 4), () => Sqlite(calls / 4), (round, s, k) => $"  round {round}: SQLite INSERT + SELECT {s:N0} calls/s, KV counter {k:N0} calls/s, ratio {s / k:0.00}");
        Console.WriteLine($"SQLite-backed object calls/s (INSERT + SELECT) / KV counter: median ratio {median:0.00} (target 0.6 or better)");
        var sqliteBytes = await LoadHarness.AllocatedPerCall(calls / 4, concurrency, i => sqlite[i % Keys].Fetch(request));
        var kvBytes = await LoadHarness.AllocatedPerCall(calls / 4, concurrency, i => counter[i % Keys].Fetch(request));
        Console.WriteLine($"Allocated per call (whole process): SQLite {sqliteBytes:N0} B, KV {kvBytes:N0} B");
        await LoadHarness.PrintAllocationsAsync("the SQLite object's calls", () => Sqlite(calls / 4));
    }

    private static async Task SqliteMemoryAsync(DurableObjectsTestCluster cluster, int objects, int concurrency)
    {
        var worker = cluster.Worker("sqlmem");
        await worker.DeployAsync(Draft(Sql));
        var grains = Enumerable.Range(0, objects).Select(i => cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format(worker.Name, "Counter", DurableObjectId.FromName("Counter", "m" + i)))).ToArray();
        var request = WorkerRequest.Get("https://sqlmem.localhost/m");
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var nativeBefore = SQLitePCL.raw.sqlite3_memory_used();
        await LoadHarness.Drive(objects, concurrency, i => grains[i].Fetch(request));
        var managed = GC.GetTotalMemory(forceFullCollection: true) - managedBefore;
        var native = SQLitePCL.raw.sqlite3_memory_used() - nativeBefore;
        Console.WriteLine($"Memory per active SQLite-backed object: {(managed + native) / (double)objects / 1024:0.0} KiB ({objects:N0} objects: managed {managed / (double)objects / 1024:0.0} KiB, SQLite's own {native / (double)objects / 1024:0.0} KiB; target 48 KiB or less)");
    }

    private static async Task AlarmsAsync(int alarms, int concurrency)
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var cluster = await DurableObjectsTestCluster.StartAsync(1, o => o.VirtualClockStart = start);
        var worker = cluster.Worker("alarmbench");
        // Key-value-backed: the figure is the alarms' own cost, not SQLite's.
        await worker.DeployAsync(Draft(Alarms, Config.Replace("new_sqlite_classes", "new_classes", StringComparison.Ordinal)));
        var due = start.AddMinutes(1).ToUnixTimeMilliseconds();
        var grain = cluster.Client.GetGrain<IWorkerGrain>(worker.Name);
        await LoadHarness.Drive(alarms, concurrency, i => grain.Invoke(WorkerRequest.Get($"https://alarmbench.localhost/a{i}?at={due}")));
        var clock = Stopwatch.StartNew();
        var reading = await cluster.AdvanceAsync(TimeSpan.FromMinutes(2));
        clock.Stop();
        var (once, never, twice) = (0, 0, 0);
        await LoadHarness.Drive(alarms, concurrency, async i =>
        {
            var answer = await grain.Invoke(WorkerRequest.Get($"https://alarmbench.localhost/a{i}"));
            _ = int.Parse(answer.Response.Text, System.Globalization.CultureInfo.InvariantCulture) switch
            {
                1 => Interlocked.Increment(ref once),
                0 => Interlocked.Increment(ref never),
                _ => Interlocked.Increment(ref twice),
            };
            return answer;
        });
        Console.WriteLine($"{alarms:N0} alarms due at one virtual instant: all fired in {clock.ElapsedMilliseconds:N0} ms (target 10,000 ms or less); {once:N0} fired once, {never:N0} never, {twice:N0} more than once; {reading.TimersFired:N0} index timers fired, {reading.StillRunning} calls still running");
    }
}
