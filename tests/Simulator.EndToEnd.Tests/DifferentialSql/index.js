// The same requests to this bundle in workerd (SQLite-backed objects, localDisk) and in dosim must
// get the same answers: JS RPC values and errors, the SQL API, transactionSync, KV on SQLite and
// alarms (an alarm that fails twice, then succeeds: its retry counts).
import { DurableObject } from "cloudflare:workers";

const describe = (v) => {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v !== "object") return JSON.stringify(v);
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (v instanceof RegExp) return `RegExp(${v.source},${v.flags})`;
  if (v instanceof Map) return `Map(${[...v].map(([k, x]) => `${describe(k)}=>${describe(x)}`).join(",")})`;
  if (v instanceof Set) return `Set(${[...v].map(describe).join(",")})`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${[...new Uint8Array(v)].join(",")})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${[...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)].join(",")})`;
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (Array.isArray(v)) return `[${v.map(describe).join(",")}]`;
  return `{${Object.keys(v).map((k) => `${k}:${describe(v[k])}`).join(",")}}`;
};

const attempt = async (f) => {
  try { return { ok: describe(await f()) }; } catch (e) { return { error: `${e.name}: ${e.message}`, remote: e.remote ?? null }; }
};

export class Room extends DurableObject {
  echo(value) { return value; }
  fail(kind) {
    if (kind === "range") { const e = new RangeError("too far"); e.code = 42; throw e; }
    if (kind === "type") throw new TypeError("wrong type");
    throw new Error("plain");
  }
  get size() { return 3; }

  sql() {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, s TEXT, r REAL, b BLOB, n INTEGER)");
    const inserted = sql.exec("INSERT INTO t (s, r, b, n) VALUES (?, ?, ?, ?), (?, ?, ?, ?)", "a", 1.5, new Uint8Array([1, 2, 3]), 7, "b", null, null, 2 ** 53 + 2);
    const cursor = sql.exec("SELECT id, s, r, b, n FROM t ORDER BY id");
    const first = cursor.next().value;
    return {
      written: inserted.rowsWritten,
      columns: cursor.columnNames,
      first,
      rest: cursor.toArray(),
      raw: sql.exec("SELECT s, n FROM t ORDER BY id").raw().toArray(),
      one: sql.exec("SELECT count(*) AS c FROM t").one(),
      multi: sql.exec("SELECT 1 AS x; SELECT 2 AS y").toArray(),
      typeofs: sql.exec("SELECT typeof(s) AS s, typeof(r) AS r, typeof(b) AS b, typeof(n) AS n FROM t ORDER BY id").toArray(),
    };
  }

  sqlError(kind) {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS u (k TEXT UNIQUE)");
    switch (kind) {
      case "begin": return sql.exec("BEGIN TRANSACTION");
      case "savepoint": return sql.exec("SAVEPOINT s");
      case "pragma": return sql.exec("PRAGMA journal_mode = WAL").toArray();
      case "kvTable": this.ctx.storage.kv.put("k", 1); return sql.exec("SELECT * FROM _cf_KV").toArray();
      case "reserved": return sql.exec("CREATE TABLE _cf_mine (x)");
      case "missing": return sql.exec("SELECT * FROM nope");
      case "syntax": return sql.exec("SELEC 1");
      case "bindings": return sql.exec("SELECT ?", 1, 2);
      case "none": return sql.exec("SELECT * FROM u WHERE k = 'none'").one();
      case "unique": sql.exec("INSERT OR IGNORE INTO u VALUES ('a')"); return sql.exec("INSERT INTO u VALUES ('a')");
      default: return null;
    }
  }

  transaction() {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS v (x INTEGER)");
    let thrown = null;
    try { this.ctx.storage.transactionSync(() => { sql.exec("INSERT INTO v VALUES (1)"); throw new Error("undo"); }); } catch (e) { thrown = e.message; }
    const kept = this.ctx.storage.transactionSync(() => { sql.exec("INSERT INTO v VALUES (2)"); return "kept"; });
    return { thrown, kept, rows: sql.exec("SELECT x FROM v ORDER BY x").toArray() };
  }

  async kv() {
    this.ctx.storage.kv.put("sync", { a: [1, 2] });
    await this.ctx.storage.put("async", "value");
    return {
      sync: this.ctx.storage.kv.get("sync"),
      fromAsync: this.ctx.storage.kv.get("async"),
      asyncGet: await this.ctx.storage.get("sync"),
      listed: [...this.ctx.storage.kv.list()].map(([k]) => k),
      deleted: [this.ctx.storage.kv.delete("sync"), this.ctx.storage.kv.delete("nothing")],
      missing: this.ctx.storage.kv.get("sync") ?? "gone",
    };
  }

  // Alarms: each run is recorded; the first two throw, so the platform retries (at +2 s, then +4 s).
  async setAlarmSoon() {
    const errors = {};
    for (const [kind, value] of [["zero", 0], ["negative", -5], ["text", "soon"]]) {
      try { await this.ctx.storage.setAlarm(value); errors[kind] = "accepted"; } catch (e) { errors[kind] = `${e.name}: ${e.message}`; }
    }
    await this.ctx.storage.deleteAlarm();
    const at = Date.now() + 300;
    await this.ctx.storage.setAlarm(at);
    return { errors, set: (await this.ctx.storage.getAlarm()) === at };
  }

  async alarm(info) {
    const runs = (await this.ctx.storage.get("runs")) ?? [];
    runs.push({ retryCount: info.retryCount, isRetry: info.isRetry, alarmInHandler: await this.ctx.storage.getAlarm() });
    await this.ctx.storage.put("runs", runs);
    if (runs.length < 3) throw new Error(`alarm run ${runs.length} fails`);
  }

  async alarmRuns() {
    return { runs: (await this.ctx.storage.get("runs")) ?? [], alarmAfter: await this.ctx.storage.getAlarm() };
  }
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    const room = env.ROOM.getByName(path.split("/")[1] || "room");
    const results = {};
    if (path.endsWith("/rpc")) {
      results.values = await attempt(() => room.echo({
        date: new Date(86400000), map: new Map([[1, "a"], ["b", { c: [2n] }]]), set: new Set([1, "x"]), bytes: new Uint8Array([1, 2, 255]),
        floats: new Float64Array([1.5]), buffer: new Uint8Array([9, 8]).buffer, big: 12345678901234567890n, nested: { a: [1, { b: null }] },
        undef: undefined, nan: NaN, neg0: -0, re: /a+/gi, holes: [1, , 3], text: "é\u{1F600}",
      }));
      results.range = await attempt(() => room.fail("range"));
      results.type = await attempt(() => room.fail("type"));
      results.plain = await attempt(() => room.fail("plain"));
      results.missing = await attempt(() => room.nope());
      results.getter = await attempt(() => room.size);
      results.instance = await attempt(() => room.echo(new (class Point { constructor() { this.x = 1; } })()));
    }
    if (path.endsWith("/sql")) results.sql = await attempt(() => room.sql());
    if (path.endsWith("/sql-errors")) {
      for (const kind of ["begin", "savepoint", "pragma", "kvTable", "reserved", "missing", "syntax", "bindings", "none", "unique"]) results[kind] = await attempt(() => room.sqlError(kind));
    }
    if (path.endsWith("/transaction")) results.transaction = await attempt(() => room.transaction());
    if (path.endsWith("/kv")) results.kv = await attempt(() => room.kv());
    if (path.endsWith("/alarm-set")) results.alarm = await attempt(() => room.setAlarmSoon());
    if (path.endsWith("/alarm-runs")) results.runs = await attempt(() => room.alarmRuns());
    return Response.json(results);
  },
};
