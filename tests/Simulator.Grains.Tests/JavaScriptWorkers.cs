using Simulator.Core;
using Simulator.Workers;

namespace Simulator.Grains.Tests;

/// <summary>Small Workers of the users' kind, in JavaScript, for the runtime's tests.</summary>
public static class JavaScriptWorkers
{
    /// <summary>The wrangler.toml of a Worker with a Counter Durable Object and the version metadata binding.</summary>
    public const string CounterConfig = """
        name = "counter"
        main = "index.js"
        [vars]
        GREETING = "hello"
        LIMITS = { max = 3 }
        [[durable_objects.bindings]]
        name = "COUNTER"
        class_name = "Counter"
        [[migrations]]
        tag = "v1"
        new_classes = ["Counter"]
        [version_metadata]
        binding = "VERSION"
        """;

    /// <summary>The quick start's counter: in-memory and durable counts, the version it runs on.</summary>
    public const string Counter = """
        import { DurableObject } from "cloudflare:workers";
        export class Counter extends DurableObject {
          inMemory = 0;
          async fetch(request) {
            this.inMemory++;
            const durable = ((await this.ctx.storage.get("count")) ?? 0) + 1;
            await this.ctx.storage.put("count", durable);
            return Response.json({ name: this.ctx.id.name ?? null, version: this.env.VERSION.id, tag: this.env.VERSION.tag, inMemory: this.inMemory, durable });
          }
        }
        export default {
          async fetch(request, env) {
            const name = new URL(request.url).pathname.slice(1);
            if (!name) return new Response("name a counter\n", { status: 400 });
            return env.COUNTER.get(env.COUNTER.idFromName(name)).fetch(request);
          },
        };
        """;

    /// <summary>The counter as people write it today: a SQLite-backed class called over JS RPC.</summary>
    public const string RpcSqliteCounter = """
        import { DurableObject } from "cloudflare:workers";
        export class Counter extends DurableObject {
          inMemory = 0;
          constructor(ctx, env) {
            super(ctx, env);
            ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS counts (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)");
          }
          increment() {
            this.inMemory++;
            const { n } = this.ctx.storage.sql.exec("INSERT INTO counts (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1 RETURNING n").one();
            return { name: this.ctx.id.name ?? null, version: this.env.VERSION.id, tag: this.env.VERSION.tag, inMemory: this.inMemory, durable: n };
          }
        }
        export default {
          async fetch(request, env) {
            const name = new URL(request.url).pathname.slice(1);
            if (!name) return new Response("name a counter\n", { status: 400 });
            return Response.json(await env.COUNTER.getByName(name).increment());
          },
        };
        """;

    /// <summary><see cref="CounterConfig"/> with the class SQLite-backed.</summary>
    public static readonly string SqliteCounterConfig = CounterConfig.Replace("new_classes", "new_sqlite_classes", StringComparison.Ordinal);

    /// <summary>
    /// The wrangler.toml of a Worker with one Durable Object class bound as <paramref name="binding"/>,
    /// SQLite-backed (new_sqlite_classes) or key-value-backed (new_classes), and the version
    /// metadata binding VERSION.
    /// </summary>
    public static string OneClassConfig(string binding, string className, bool sqlite = true) => $"""
        name = "tests"
        main = "index.js"
        [[durable_objects.bindings]]
        name = "{binding}"
        class_name = "{className}"
        [[migrations]]
        tag = "v1"
        {(sqlite ? "new_sqlite_classes" : "new_classes")} = ["{className}"]
        [version_metadata]
        binding = "VERSION"
        """;

    /// <summary>A request's 200 answer as JSON (the test fails with the error and body otherwise).</summary>
    public static async Task<System.Text.Json.JsonElement> JsonAsync(this Simulator.Testing.WorkerHandle worker, string path)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var result = await worker.FetchAsync(path);
        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        return System.Text.Json.JsonDocument.Parse(result.Response.Text).RootElement.Clone();
    }

    public static VersionDraft Draft(string tag, string mainModule, string config = CounterConfig, params (string Name, string Content)[] more) =>
        WorkerProject.From([new WorkerModule("index.js", mainModule), .. more.Select(m => new WorkerModule(m.Name, m.Content))], WranglerConfig.Parse(config, "toml")).Draft(tag);
}
