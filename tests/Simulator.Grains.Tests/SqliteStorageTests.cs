using System.Text.Json;
using Simulator.Testing;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>SQLite-backed Durable Objects (new_sqlite_classes): ctx.storage.sql on the real SQLite, the KV APIs on the same database, and the platform's rules.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SqliteStorageTests(ClusterFixture fixture)
{
    private static readonly string SqliteConfig = JavaScriptWorkers.OneClassConfig("ROOM", "Room");

    private static readonly string KvConfig = JavaScriptWorkers.OneClassConfig("ROOM", "Room", sqlite: false);

    // A Room whose RPC method `run(name)` runs the named check, and a Worker that calls it for /name.
    private static string Room(string checks) => $$"""
        import { DurableObject } from "cloudflare:workers";
        const caught = async (f) => { try { return { ok: await f() }; } catch (e) { return { error: e.message, name: e.name }; } };
        export class Room extends DurableObject {
          run(check) { return caught(() => this[check]()); }
          {{checks}}
        }
        export default {
          async fetch(request, env) {
            const check = new URL(request.url).pathname.slice(1);
            return Response.json(await env.ROOM.getByName("room").run(check));
          },
        };
        """;


    private async Task<WorkerHandle> Deploy(string checks, string? config = null)
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", Room(checks), config ?? SqliteConfig));
        return worker;
    }

    private const string Checks = """
        setup() {
          this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS msgs (id INTEGER PRIMARY KEY, body TEXT, score REAL, data BLOB, n INTEGER)");
          return this.ctx.storage.sql.exec("INSERT INTO msgs (body, score, data, n) VALUES (?, ?, ?, ?), (?, ?, ?, ?)", "hi", 1.5, new Uint8Array([1, 2]), 7, "yo", null, null, 2 ** 53 + 2).rowsWritten;
        }
        cursor() {
          const c = this.ctx.storage.sql.exec("SELECT id, body, score, data, n FROM msgs ORDER BY id");
          const first = c.next().value;
          const rest = c.toArray();
          return {
            columns: c.columnNames, first: { ...first, data: [...new Uint8Array(first.data)], dataIsBuffer: first.data instanceof ArrayBuffer },
            rest: rest.map(r => ({ ...r, data: r.data })), rowsRead: c.rowsRead, rowsWritten: c.rowsWritten,
            raw: this.ctx.storage.sql.exec("SELECT id, body FROM msgs ORDER BY id").raw().toArray(),
            iterated: [...this.ctx.storage.sql.exec("SELECT body FROM msgs ORDER BY id")].map(r => r.body),
            one: this.ctx.storage.sql.exec("SELECT count(*) AS n FROM msgs").one().n,
            multi: this.ctx.storage.sql.exec("SELECT 1; SELECT 2 AS two").toArray(),
            size: this.ctx.storage.sql.databaseSize > 0,
          };
        }
        none() { return this.ctx.storage.sql.exec("SELECT * FROM msgs WHERE id = -1").one(); }
        many() { return this.ctx.storage.sql.exec("SELECT * FROM msgs").one(); }
        begin() { return this.ctx.storage.sql.exec("BEGIN TRANSACTION"); }
        savepoint() { return this.ctx.storage.sql.exec("SAVEPOINT x"); }
        pragma() { return this.ctx.storage.sql.exec("PRAGMA journal_mode = WAL").toArray(); }
        allowedPragma() { return this.ctx.storage.sql.exec("PRAGMA table_info(msgs)").toArray().map(c => c.name); }
        reserved() { return this.ctx.storage.sql.exec("CREATE TABLE _cf_mine (x)"); }
        kvTable() { this.ctx.storage.kv.put("k", 1); return this.ctx.storage.sql.exec("SELECT * FROM _cf_KV").toArray(); }
        syntax() { return this.ctx.storage.sql.exec("SELECT 1; SELEC 2"); }
        missing() { return this.ctx.storage.sql.exec("SELECT * FROM nope"); }
        bindings() { return this.ctx.storage.sql.exec("SELECT ?", 1, 2); }
        badBinding() { return this.ctx.storage.sql.exec("SELECT ?", true); }
        unique() { this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS u (k TEXT UNIQUE)"); this.ctx.storage.sql.exec("INSERT INTO u VALUES ('a')"); return this.ctx.storage.sql.exec("INSERT INTO u VALUES ('a')"); }
        rollback() {
          this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (v INTEGER)");
          try { this.ctx.storage.transactionSync(() => { this.ctx.storage.sql.exec("INSERT INTO t VALUES (1)"); throw new Error("undo"); }); } catch (e) {}
          const kept = this.ctx.storage.transactionSync(() => { this.ctx.storage.sql.exec("INSERT INTO t VALUES (2)"); return "kept"; });
          return { kept, rows: this.ctx.storage.sql.exec("SELECT v FROM t").toArray().map(r => r.v) };
        }
        kv() {
          this.ctx.storage.kv.put("sync", { a: 1 });
          return { sync: this.ctx.storage.kv.get("sync"), listed: [...this.ctx.storage.kv.list()].map(([k]) => k), deleted: this.ctx.storage.kv.delete("nothing") };
        }
        async asyncKv() { await this.ctx.storage.put("async", 42); return { fromSync: this.ctx.storage.kv.get("async"), fromAsync: await this.ctx.storage.get("sync") }; }
        """;

    [Fact]
    public async Task Sql_exec_runs_on_sqlite_with_the_cursor_api_and_the_platforms_type_mapping()
    {
        var worker = await Deploy(Checks);
        Assert.Equal(2, (await worker.JsonAsync("/setup")).GetProperty("ok").GetInt32());
        var body = (await worker.JsonAsync("/cursor")).GetProperty("ok");

        Assert.Equal("[\"id\",\"body\",\"score\",\"data\",\"n\"]", body.GetProperty("columns").GetRawText());
        var first = body.GetProperty("first");
        Assert.Equal(1, first.GetProperty("id").GetInt32());
        Assert.Equal("hi", first.GetProperty("body").GetString());
        Assert.Equal(1.5, first.GetProperty("score").GetDouble());
        Assert.Equal("[1,2]", first.GetProperty("data").GetRawText());
        Assert.True(first.GetProperty("dataIsBuffer").GetBoolean());
        var second = Assert.Single(body.GetProperty("rest").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("score").ValueKind);
        // Bound as a float64 and read back as a number: an int64 beyond 2^53 loses precision, as on the platform.
        Assert.Equal(9007199254740994d, second.GetProperty("n").GetDouble());
        Assert.Equal(2, body.GetProperty("rowsRead").GetInt32());
        Assert.Equal(0, body.GetProperty("rowsWritten").GetInt32());
        Assert.Equal("[[1,\"hi\"],[2,\"yo\"]]", body.GetProperty("raw").GetRawText());
        Assert.Equal("[\"hi\",\"yo\"]", body.GetProperty("iterated").GetRawText());
        Assert.Equal(2, body.GetProperty("one").GetInt32());
        Assert.Equal("[{\"two\":2}]", body.GetProperty("multi").GetRawText());
        Assert.True(body.GetProperty("size").GetBoolean());
    }

    [Theory]
    [InlineData("none", "Expected exactly one result from SQL query, but got no results.")]
    [InlineData("many", "Expected exactly one result from SQL query, but got multiple results.")]
    [InlineData("begin", SqliteObjectDatabaseText.Transaction)]
    [InlineData("savepoint", SqliteObjectDatabaseText.Transaction)]
    [InlineData("pragma", "not authorized: SQLITE_AUTH")]
    [InlineData("reserved", "not authorized: SQLITE_AUTH")]
    [InlineData("kvTable", "access to _cf_KV.key is prohibited: SQLITE_AUTH")]
    [InlineData("missing", "no such table: nope: SQLITE_ERROR")]
    [InlineData("syntax", "near \"SELEC\": syntax error at offset 0: SQLITE_ERROR")]
    [InlineData("bindings", "Wrong number of parameter bindings for SQL query.")]
    [InlineData("unique", "UNIQUE constraint failed: u.k: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)")]
    public async Task What_the_platform_refuses_fails_with_its_error(string check, string message)
    {
        var worker = await Deploy(Checks);
        await worker.JsonAsync("/setup");
        var body = await worker.JsonAsync("/" + check);
        Assert.True(body.TryGetProperty("error", out var error), body.ToString());
        Assert.Equal(message, error.GetString());
    }

    [Fact]
    public async Task Transaction_sync_rolls_back_what_its_function_did_when_it_throws()
    {
        var worker = await Deploy(Checks);
        var body = (await worker.JsonAsync("/rollback")).GetProperty("ok");
        Assert.Equal("kept", body.GetProperty("kept").GetString());
        Assert.Equal("[2]", body.GetProperty("rows").GetRawText());
    }

    [Fact]
    public async Task An_allowed_pragma_runs_and_a_binding_of_another_type_is_refused()
    {
        var worker = await Deploy(Checks);
        await worker.JsonAsync("/setup");
        Assert.Equal("[\"id\",\"body\",\"score\",\"data\",\"n\"]", (await worker.JsonAsync("/allowedPragma")).GetProperty("ok").GetRawText());
        Assert.StartsWith("A SQL binding is null, a string, a number or an ArrayBuffer", (await worker.JsonAsync("/badBinding")).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sync_and_async_kv_apis_share_the_database_and_everything_survives_a_reset_onto_new_code()
    {
        var worker = await Deploy(Checks);
        var a = (await worker.HistoryAsync()).CurrentDeployment!.Versions[0].VersionId;
        await worker.JsonAsync("/setup");
        var kv = (await worker.JsonAsync("/kv")).GetProperty("ok");
        Assert.Equal(1, kv.GetProperty("sync").GetProperty("a").GetInt32());
        Assert.Equal("[\"sync\"]", kv.GetProperty("listed").GetRawText());
        Assert.False(kv.GetProperty("deleted").GetBoolean());
        var both = (await worker.JsonAsync("/asyncKv")).GetProperty("ok");
        Assert.Equal(42, both.GetProperty("fromSync").GetInt32());
        Assert.Equal(1, both.GetProperty("fromAsync").GetProperty("a").GetInt32());

        // A reset onto B keeps the database: rows, tables and KV entries.
        var b = await worker.UploadAsync(JavaScriptWorkers.Draft("B", Room(Checks), SqliteConfig));
        await worker.DeployVersionsAsync((b.Id, 100));
        var after = (await worker.JsonAsync("/cursor")).GetProperty("ok");
        Assert.Equal("[\"hi\",\"yo\"]", after.GetProperty("iterated").GetRawText());
        Assert.Equal(42, (await worker.JsonAsync("/asyncKv")).GetProperty("ok").GetProperty("fromSync").GetInt32());
        var status = await worker.ObjectAsync("Room", "room");
        Assert.Equal(1, status.ResetCount);
        Assert.NotEqual(a, status.VersionId);
    }

    [Fact]
    public async Task A_key_value_backed_class_refuses_the_sql_apis_with_the_platforms_messages()
    {
        var worker = await Deploy("""
            sql() { return this.ctx.storage.sql; }
            kv() { return this.ctx.storage.kv; }
            txn() { return this.ctx.storage.transactionSync(() => 1); }
            """, KvConfig);
        Assert.StartsWith("This Durable Object is not backed by SQLite storage, so the SQL API is not available.", (await worker.JsonAsync("/sql")).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("The storage.kv (synchronous KV) API is only available for SQLite-backed Durable Objects", (await worker.JsonAsync("/kv")).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("Durable Object is not backed by SQL.", (await worker.JsonAsync("/txn")).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_deployed_key_value_class_cannot_become_sqlite_backed()
    {
        var worker = await Deploy("x() { return 1; }", KvConfig);
        var converted = SqliteConfig.Replace("tag = \"v1\"", "tag = \"v2\"", StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<Simulator.Contracts.RuleRefusedException>(() => worker.DeployAsync(JavaScriptWorkers.Draft("B", Room("x() { return 1; }"), converted)));
        Assert.Contains("an already-deployed class cannot be converted to SQLite", error.Message, StringComparison.Ordinal);
        Assert.Single((await worker.HistoryAsync()).Versions);
    }
}

/// <summary>The platform's texts the tests compare with, where a test attribute needs a constant.</summary>
internal static class SqliteObjectDatabaseText
{
    public const string Transaction = Runtime.SqliteObjectDatabase.TransactionRefused;
}
