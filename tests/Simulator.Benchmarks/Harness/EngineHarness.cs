using System.Diagnostics;
using System.Reflection;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Runtime;
using Simulator.Grains.Runtime.JavaScript;
using Simulator.Workers;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// The JavaScript engine alone, on one thread, without Orleans: the JS counter's fetch
/// (examples/counter) on one object, and the same fetch on a new instance each time, whose
/// difference is what building an instance at a reset costs. It isolates what the interpreter
/// does per call from the cluster's own work, which the --javascript harness measures with it.
/// With --variants, it compares versions of a Worker's code instead (CompareAsync).
/// </summary>
public static class EngineHarness
{
    public static async Task RunAsync(int calls, int rounds)
    {
        using var engine = NewEngine(JavaScriptHarness.ExampleCounter());
        var store = NewStore();
        var context = new InvocationContext(null, TimeProvider.System);
        JavaScriptDurableObject NewObject() => new(engine, "Counter", DurableObjectId.FromName("Counter", "t"), "t", store, 0, context, NoSockets());
        var warm = NewObject();
        Task<(double Micros, long Bytes)> Measure(Func<JavaScriptDurableObject> target) => MeasureAsync(target, context, calls);

        await Measure(() => warm);
        await Measure(NewObject);
        var same = new List<double>();
        var fresh = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var (sameMicros, sameBytes) = await Measure(() => warm);
            var (freshMicros, freshBytes) = await Measure(NewObject);
            same.Add(sameMicros);
            fresh.Add(freshMicros);
            Console.WriteLine($"  round {round}: fetch {sameMicros:0.0} µs ({sameBytes:N0} B), on a new instance {freshMicros:0.0} µs ({freshBytes:N0} B)");
        }

        await LoadHarness.PrintAllocationsAsync("the fetch", () => Measure(() => warm), top: 25);

        same.Sort();
        fresh.Sort();
        var (s, f) = (LoadHarness.Median(same), LoadHarness.Median(fresh));
        Console.WriteLine($"JavaScript counter fetch on one thread, no Orleans: {s:0.0} µs median; building the instance at a reset adds {f - s:0.0} µs (target 20 µs or less)");
        await RpcAgainstFetchAsync(calls, rounds);
    }

    // The object's side of a call alone: the same count() reached over JS RPC and by fetch().
    private static async Task RpcAgainstFetchAsync(int calls, int rounds)
    {
        const string Code = """
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject {
              async count() { const n = ((await this.ctx.storage.get("n")) ?? 0) + 1; await this.ctx.storage.put("n", n); return n; }
              async fetch() { return Response.json(await this.count()); }
            }
            export default { fetch: () => new Response("") };
            """;
        using var engine = NewEngine(WorkerProject.From([new WorkerModule("index.js", Code)], WranglerConfig.Parse("name = \"rpc\"\nmain = \"index.js\"\n[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n[[migrations]]\ntag = \"v1\"\nnew_classes = [\"Counter\"]", "toml")));
        var context = new InvocationContext(null, TimeProvider.System);
        var target = new JavaScriptDurableObject(engine, "Counter", DurableObjectId.FromName("Counter", "t"), "t", NewStore(), 0, context, NoSockets());
        using var encoder = new Jint.Engine();
        var call = new RpcCall("count", new StructuredClone(encoder, _ => null).WriteArguments([]), null, null);
        var request = WorkerRequest.Get("https://bench.localhost/t");
        async Task<(double Micros, long Bytes)> Run(Func<Task> one)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                await one();
            }

            return (clock.Elapsed.TotalMicroseconds / calls, (GC.GetAllocatedBytesForCurrentThread() - before) / calls);
        }

        var rpcTimes = new List<double>();
        var fetchTimes = new List<double>();
        for (var round = 0; round <= rounds; round++)
        {
            var (rpcMicros, rpcBytes) = await Run(() => target.CallAsync(call));
            var (fetchMicros, fetchBytes) = await Run(() => target.FetchAsync(request));
            if (round > 0)
            {
                rpcTimes.Add(rpcMicros);
                fetchTimes.Add(fetchMicros);
                Console.WriteLine($"  round {round}: the object's count() over RPC {rpcMicros:0.0} µs ({rpcBytes:N0} B), by fetch() {fetchMicros:0.0} µs ({fetchBytes:N0} B)");
            }
        }

        Console.WriteLine($"The object's side of a call on one thread, no Orleans: RPC {Median(rpcTimes):0.0} µs, fetch {Median(fetchTimes):0.0} µs, fetch / RPC {Median(fetchTimes) / Median(rpcTimes):0.00}");
        await SqliteAsync(calls, rounds);
    }

    // A SQLite-backed object's INSERT + SELECT on the engine, its image serialized as its grain
    // stores it after each call, against the key-value counter's get and put.
    private static async Task SqliteAsync(int calls, int rounds)
    {
        const string Code = """
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject {
              constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, at INTEGER)"); }
              async fetch() {
                this.ctx.storage.sql.exec("INSERT INTO hits (at) VALUES (?)", Date.now());
                return Response.json(this.ctx.storage.sql.exec("SELECT count(*) AS n FROM hits").one().n);
              }
            }
            export default { fetch: () => new Response("") };
            """;
        using var sqlEngine = NewEngine(WorkerProject.From([new WorkerModule("index.js", Code)], WranglerConfig.Parse("name = \"sql\"\nmain = \"index.js\"\n[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Counter\"]", "toml")));
        using var kvEngine = NewEngine(JavaScriptHarness.ExampleCounter());
        var context = new InvocationContext(null, TimeProvider.System);
        // As many objects as keep each table at a few dozen rows, as in the load harness.
        var objects = Math.Max(1, calls / 50);
        var hosts = Enumerable.Range(0, objects).Select(_ => new SqliteHost()).ToArray();
        var sql = hosts.Select((host, i) => new JavaScriptDurableObject(sqlEngine, "Counter", DurableObjectId.FromName("Counter", "s" + i), "s" + i, new SqliteObjectStore(host), 0, context, NoSockets())).ToArray();
        var kv = new JavaScriptDurableObject(kvEngine, "Counter", DurableObjectId.FromName("Counter", "k"), "k", NewStore(), 0, context, NoSockets());
        var (sqlTimes, kvTimes) = (new List<double>(), new List<double>());
        var next = 0;
        var host = hosts[0];
        for (var round = 0; round <= rounds; round++)
        {
            var (sqlMicros, sqlBytes) = await MeasureAsync(() => sql[next++ % objects], context, calls);
            var (kvMicros, kvBytes) = await MeasureAsync(() => kv, context, calls);
            if (round > 0)
            {
                (sqlTimes, kvTimes) = ([.. sqlTimes, sqlMicros], [.. kvTimes, kvMicros]);
                Console.WriteLine($"  round {round}: SQLite INSERT + SELECT {sqlMicros:0.0} µs ({sqlBytes:N0} B, image {host.ImageBytes:N0} B), KV counter {kvMicros:0.0} µs ({kvBytes:N0} B)");
            }
        }

        Console.WriteLine($"SQLite object on one thread, no Orleans: {Median(sqlTimes):0.0} µs against the KV counter's {Median(kvTimes):0.0} µs, SQLite / KV speed {Median(kvTimes) / Median(sqlTimes):0.00}");
        foreach (var each in hosts)
        {
            each.Dispose();
        }
    }

    // A database kept open, its image serialized at each write (as the grain stores it), not stored.
    private sealed class SqliteHost : ISqliteObjectHost, IDisposable
    {
        private readonly SqliteObjectDatabase _database = SqliteObjectDatabase.Open(null);

        public int ImageBytes { get; private set; }

        public Dictionary<string, string>? Entries => null;

        public long? DueMs => null;

        public SqliteObjectDatabase OpenDatabase() => _database;

        public bool IsCurrent(int generation) => true;

        public Task PersistAsync()
        {
            ImageBytes = _database.Serialize().Length;
            return Task.CompletedTask;
        }

        public Task SetAsync(long? dueMs) => throw new NotSupportedException("The engine harness has no alarm index.");

        public void Dispose() => _database.Dispose();
    }

    /// <summary>
    /// Variants of a Worker (directories with an index.js exporting a Durable Object class
    /// <c>Counter</c>, and a wrangler.toml), each on an engine of its own in this process, in
    /// alternating rounds: what one line of a Durable Object's fetch costs, within one run.
    /// </summary>
    public static async Task CompareAsync(IReadOnlyList<string> directories, int calls, int rounds)
    {
        var context = new InvocationContext(null, TimeProvider.System);
        var variants = directories.Select(dir =>
        {
            var project = WorkerProject.Load([Path.Combine(dir, "index.js")], Path.Combine(dir, "wrangler.toml"));
            var engine = NewEngine(project);
            return (Name: Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), Engine: engine,
                Object: new JavaScriptDurableObject(engine, "Counter", DurableObjectId.FromName("Counter", "t"), "t", NewStore(), 0, context, NoSockets()));
        }).ToList();
        try
        {
            var times = variants.ToDictionary(v => v.Name, _ => new List<double>());
            var bytes = new Dictionary<string, long>();
            // Round 0 warms every variant up and is not counted.
            for (var round = 0; round <= rounds; round++)
            {
                foreach (var variant in round % 2 == 0 ? variants : Enumerable.Reverse(variants))
                {
                    var (micros, allocated) = await MeasureAsync(() => variant.Object, context, calls);
                    if (round > 0)
                    {
                        times[variant.Name].Add(micros);
                        bytes[variant.Name] = allocated;
                    }
                }
            }

            var baseline = Median(times[variants[0].Name]);
            foreach (var (name, list) in times)
            {
                Console.WriteLine($"  {name}: {Median(list):0.00} µs median (fastest round {list.Min():0.00}), {bytes[name]:N0} B; {Median(list) - baseline:+0.00;-0.00;0.00} µs against {variants[0].Name}");
            }
        }
        finally
        {
            foreach (var variant in variants)
            {
                variant.Engine.Dispose();
            }
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return LoadHarness.Median(values);
    }

    private static JavaScriptEngine NewEngine(WorkerProject project)
    {
        var draft = project.Draft("A");
        var version = new WorkerVersion { Id = Guid.NewGuid(), Number = 1, CreatedOn = DateTimeOffset.UtcNow, Script = draft.Script, Code = draft.Code, Source = VersionSource.Upload, Vars = draft.Vars, DurableObjectClasses = draft.DurableObjectClasses };
        return new JavaScriptEngine(version, "enginebench", new JavaScriptLimits(), DispatchProxy.Create<IGrainFactory, NoGrains>(), new Simulator.Grains.Time.SimulatedClock(null));
    }

    // Calls of the object's fetch in a row: µs and bytes allocated per call.
    private static async Task<(double Micros, long Bytes)> MeasureAsync(Func<JavaScriptDurableObject> target, InvocationContext context, int calls)
    {
        var request = WorkerRequest.Get("https://bench.localhost/t");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            var response = await target().FetchAsync(request);
            if (response.Status != 200)
            {
                throw new InvalidOperationException($"The counter answered {response.Status}.");
            }

            // As the object's grain does after each call: its trace event takes the console's lines.
            context.Console.Drain();
        }

        return (clock.Elapsed.TotalMicroseconds / calls, (GC.GetAllocatedBytesForCurrentThread() - before) / calls);
    }

    // Storage in memory, never persisted: the engine's cost alone.
    private static KvObjectStore NewStore() => new(new MemoryHost());

    // The harness's objects never hand a socket to a gateway, so they need no endpoint.
    private static Simulator.Grains.Runtime.WebSockets.ObjectSockets NoSockets() => new(null!, static () => null);

    // The counter calls no other grain.
    public class NoGrains : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            throw new NotSupportedException($"The engine harness has no cluster ({targetMethod?.Name}).");
    }

    // Entries in a dictionary, never stored; the counter sets no alarm.
    private sealed class MemoryHost : IKvObjectHost
    {
        public Dictionary<string, string> Entries { get; } = [];

        public long? DueMs => null;

        public bool IsCurrent(int generation) => true;

        public Task PersistAsync() => Task.CompletedTask;

        public Task SetAsync(long? dueMs) => throw new NotSupportedException("The engine harness has no alarm index.");
    }
}
