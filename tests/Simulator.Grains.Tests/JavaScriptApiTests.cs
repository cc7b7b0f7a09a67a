using System.Text;
using System.Text.Json;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>What a user's JavaScript can use: modules, both class forms, env bindings, storage and the web APIs.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JavaScriptApiTests(ClusterFixture fixture)
{
    private const string NoBindings = "name = \"apis\"";

    private async Task<JsonElement> Json(string main, string config = NoBindings, string path = "/x", params (string Name, string Content)[] more)
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", main, config, more));
        var result = await worker.FetchAsync(path);
        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        return JsonDocument.Parse(result.Response.Text).RootElement.Clone();
    }

    [Fact]
    public async Task Modules_import_each_other_by_relative_path_and_keep_their_globals_across_calls()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            import { DurableObject } from "cloudflare:workers";
            import { bump } from "./lib/shared.js";
            export class Counter extends DurableObject { async fetch() { return Response.json({ shared: bump() }); } }
            export default { fetch(request, env) { return env.COUNTER.get(env.COUNTER.idFromName(new URL(request.url).pathname)).fetch(request); } };
            """, JavaScriptWorkers.CounterConfig, ("lib/shared.js", "import { step } from '../step.js'; let n = 0; export function bump() { n += step; return n; }"), ("step.js", "export const step = 1;")));

        var shared = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            shared.Add(JsonDocument.Parse((await worker.FetchAsync("/one")).Response.Text).RootElement.GetProperty("shared").GetInt32());
        }

        // The module's state lives in the engine the object is pinned to, across calls.
        Assert.Equal([shared[0], shared[0] + 1, shared[0] + 2], shared);
    }

    [Fact]
    public async Task A_request_passed_on_unread_keeps_its_headers_and_a_url_parses_its_query_when_asked()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject {
              async fetch(request) { return Response.json({ probe: request.headers.get("x-probe"), both: request.headers.get("x-two") }); }
            }
            export default {
              fetch(request, env) {
                const u = new URL("https://x.example/?a=1");
                u.search = "?b=2";
                const first = u.searchParams.get("b");
                u.search = "?c=3";
                const query = first + u.searchParams.get("c") + new URL(request.url).search;
                return env.COUNTER.get(env.COUNTER.idFromName(query)).fetch(request);
              },
            };
            """, JavaScriptWorkers.CounterConfig));

        var result = await worker.FetchAsync("/p?q=1", ("X-Probe", "seen"), ("X-Two", "one"));
        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        var body = JsonDocument.Parse(result.Response.Text).RootElement;
        Assert.Equal("seen", body.GetProperty("probe").GetString());
        Assert.Equal("one", body.GetProperty("both").GetString());
        var status = await worker.ObjectAsync("Counter", "23?q=1");
        Assert.Equal(1, status.RequestsSinceBuilt);
    }

    [Fact]
    public async Task A_worker_entrypoint_class_and_the_older_durable_object_form_both_run()
    {
        var body = await Json("""
            import { WorkerEntrypoint } from "cloudflare:workers";
            export class Counter {
              constructor(state, env) { this.state = state; this.env = env; }
              async fetch() { const n = ((await this.state.storage.get("n")) ?? 0) + 1; await this.state.storage.put("n", n); return Response.json({ n, greeting: this.env.GREETING, id: this.state.id.toString() }); }
            }
            export default class extends WorkerEntrypoint {
              async fetch(request) { return this.env.COUNTER.get(this.env.COUNTER.idFromName("old")).fetch(request); }
            }
            """, JavaScriptWorkers.CounterConfig);

        Assert.Equal(1, body.GetProperty("n").GetInt32());
        Assert.Equal("hello", body.GetProperty("greeting").GetString());
        Assert.Equal(64, body.GetProperty("id").GetString()!.Length);
    }

    [Fact]
    public async Task Storage_lists_with_prefix_range_limit_and_order_and_deletes_many()
    {
        var body = await Json("""
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject {
              async fetch() {
                const s = this.ctx.storage;
                await s.put({ "a:1": 1, "a:2": { two: 2 }, "a:3": [3], "b:1": "b" });
                const keys = async (o) => [...(await s.list(o)).keys()];
                const out = {
                  all: await keys(), prefix: await keys({ prefix: "a:" }), range: await keys({ start: "a:2", end: "b:1" }),
                  limit: await keys({ limit: 2 }), reverse: await keys({ reverse: true, limit: 2 }),
                  value: (await s.get("a:2")).two, many: Object.fromEntries(await s.get(["a:1", "nope"])),
                  deleted: await s.delete(["a:1", "a:2", "nope"]), one: await s.delete("a:3"), missing: await s.get("a:1") ?? null,
                };
                await s.transaction(async (t) => { await t.put("t", 1); });
                out.afterTransaction = await keys();
                await s.deleteAll();
                out.afterDeleteAll = await keys();
                return Response.json(out);
              }
            }
            export default { fetch(request, env) { return env.COUNTER.get(env.COUNTER.idFromName("list")).fetch(request); } };
            """, JavaScriptWorkers.CounterConfig);

        Assert.Equal("[\"a:1\",\"a:2\",\"a:3\",\"b:1\"]", body.GetProperty("all").GetRawText());
        Assert.Equal("[\"a:1\",\"a:2\",\"a:3\"]", body.GetProperty("prefix").GetRawText());
        Assert.Equal("[\"a:2\",\"a:3\"]", body.GetProperty("range").GetRawText());
        Assert.Equal("[\"a:1\",\"a:2\"]", body.GetProperty("limit").GetRawText());
        Assert.Equal("[\"b:1\",\"a:3\"]", body.GetProperty("reverse").GetRawText());
        Assert.Equal(2, body.GetProperty("value").GetInt32());
        Assert.Equal("{\"a:1\":1}", body.GetProperty("many").GetRawText());
        Assert.Equal(2, body.GetProperty("deleted").GetInt32());
        Assert.True(body.GetProperty("one").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("missing").ValueKind);
        Assert.Equal("[\"b:1\",\"t\"]", body.GetProperty("afterTransaction").GetRawText());
        Assert.Equal("[]", body.GetProperty("afterDeleteAll").GetRawText());
    }

    [Fact]
    public async Task The_web_apis_behave_as_on_the_platform()
    {
        var body = await Json("""
            const refused = (f) => { try { f(); return "accepted"; } catch (e) { return e.name; } };
            export default {
              async fetch(request) {
                const url = new URL("https://a.example/p/q?x=1&y=two#h");
                url.searchParams.append("z", "3 4");
                const h = new Headers({ "X-One": "1" });
                h.append("x-one", "2");
                const redirect = Response.redirect("https://b.example/", 301);
                const bytes = new TextEncoder().encode("héllo €");
                const random = crypto.getRandomValues(new Uint8Array(16));
                const clone = structuredClone({ d: new Date(0), m: new Map([[1, 2]]), nested: { a: [1] } });
                const timed = await new Promise((resolve) => setTimeout(() => resolve("fired"), 10));
                let cleared = "not fired";
                const id = setTimeout(() => { cleared = "fired"; }, 1);
                clearTimeout(id);
                await new Promise((resolve) => setTimeout(resolve, 20));
                return Response.json({
                  path: url.pathname, search: url.search, z: url.searchParams.get("z"), hash: url.hash, host: url.host,
                  header: h.get("X-ONE"), redirectStatus: redirect.status, location: redirect.headers.get("location"),
                  statusText: new Response("", { status: 404 }).statusText,
                  bytes: bytes.length, decoded: new TextDecoder().decode(bytes), b64: btoa("hi!"), unb64: atob("aGkh"),
                  uuid: /^[0-9a-f-]{36}$/.test(crypto.randomUUID()), random: random.length,
                  clone: clone.d instanceof Date && clone.m.get(1) === 2 && clone.nested.a[0] === 1,
                  timed, cleared, method: request.method, json: await new Response('{"k":1}').json(),
                  jsonType: Response.json({}).headers.get("content-type"), jsonStatus: Response.json({}, { status: 201 }).status,
                  jsonOwnType: Response.json(1, { headers: { "content-type": "application/vnd.x+json" } }).headers.get("content-type"),
                  jsonNoBodyStatus: refused(() => Response.json({}, { status: 204 })),
                  badValue: [refused(() => new Headers().set("x", "a\nb")), refused(() => new Headers().set("x", "a\nb"))].join(),
                });
              },
            };
            """);

        Assert.Equal("/p/q", body.GetProperty("path").GetString());
        Assert.Equal("?x=1&y=two&z=3+4", body.GetProperty("search").GetString());
        Assert.Equal("3 4", body.GetProperty("z").GetString());
        Assert.Equal("#h", body.GetProperty("hash").GetString());
        Assert.Equal("a.example", body.GetProperty("host").GetString());
        Assert.Equal("1, 2", body.GetProperty("header").GetString());
        Assert.Equal(301, body.GetProperty("redirectStatus").GetInt32());
        Assert.Equal("https://b.example/", body.GetProperty("location").GetString());
        Assert.Equal(string.Empty, body.GetProperty("statusText").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount("héllo €"), body.GetProperty("bytes").GetInt32());
        Assert.Equal("héllo €", body.GetProperty("decoded").GetString());
        Assert.Equal("aGkh", body.GetProperty("b64").GetString());
        Assert.Equal("hi!", body.GetProperty("unb64").GetString());
        Assert.True(body.GetProperty("uuid").GetBoolean());
        Assert.Equal(16, body.GetProperty("random").GetInt32());
        Assert.True(body.GetProperty("clone").GetBoolean());
        Assert.Equal("fired", body.GetProperty("timed").GetString());
        Assert.Equal("application/json", body.GetProperty("jsonType").GetString());
        Assert.Equal(201, body.GetProperty("jsonStatus").GetInt32());
        Assert.Equal("application/vnd.x+json", body.GetProperty("jsonOwnType").GetString());
        Assert.Equal("TypeError", body.GetProperty("jsonNoBodyStatus").GetString());
        Assert.Equal("TypeError,TypeError", body.GetProperty("badValue").GetString());
        Assert.Equal("not fired", body.GetProperty("cleared").GetString());
        Assert.Equal("GET", body.GetProperty("method").GetString());
        Assert.Equal(1, body.GetProperty("json").GetProperty("k").GetInt32());
    }

    [Fact]
    public async Task Storage_calls_responses_and_headers_the_host_answers_itself_behave_as_the_preludes_code()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            import { DurableObject } from "cloudflare:workers";
            const outcome = async (f) => { try { const v = await f(); return v === undefined ? "undefined" : JSON.stringify(v); } catch (e) { return e.name; } };
            export class Counter extends DurableObject {
              async fetch(request) {
                const s = this.ctx.storage;
                const cyclic = {};
                cyclic.self = cyclic;
                const result = {
                  emptyKey: await outcome(() => s.get("")),
                  numberKey: await outcome(() => s.put(1, "x")),
                  undefinedValue: await outcome(() => s.put("k", undefined)),
                  cyclic: await outcome(() => s.put("k", cyclic)),
                  longKey: await outcome(() => s.get("é".repeat(1100))),
                  roundTrip: await outcome(async () => { await s.put("o", { a: [1, "two"], n: null }); return s.get("o"); }),
                  missing: await outcome(() => s.get("nothing")),
                  many: await outcome(async () => Object.fromEntries(await s.get(["o", "nothing"]))),
                  rejectsNotThrows: (() => { try { s.put("k", cyclic).catch(() => {}); return "rejects"; } catch { return "throws"; } })(),
                  tooLarge: await outcome(() => s.put("big", "é".repeat(70000))),
                  large: await outcome(async () => { await s.put("large", "a".repeat(100000)); return (await s.get("large")).length; }),
                  toJsonCalls: await (async () => { let n = 0; await s.put("t", { toJSON() { n++; return "x".repeat(50000); } }); return n; })(),
                  sawHeader: request.headers.get("x-probe"),
                };
                return new Response(JSON.stringify(result), { status: 202, headers: [["set-cookie", "a=1"], ["Set-Cookie", "b=2"], ["x-multi", "1"], ["X-Multi", "2"], ["content-type", "application/json"]] });
              }
            }
            export default {
              async fetch(request, env) {
                const answer = await env.COUNTER.get(env.COUNTER.idFromName("s")).fetch(request);
                const fromObject = await answer.json();
                const json = {
                  undefinedBody: await Response.json(undefined).text(),
                  created: [Response.json({}, { status: 201 }).status, Response.json({}, { status: 201 }).headers.get("content-type")].join(),
                  fractionStatus: (() => { try { Response.json({}, { status: 200.5 }); return "accepted"; } catch (e) { return e.name; } })(),
                  statusText: Response.json({}, { statusText: "Fine" }).statusText,
                  instance: Response.json({}) instanceof Response,
                  cycle: (() => { const c = {}; c.c = c; try { Response.json(c); return "accepted"; } catch (e) { return e.name; } })(),
                  answerMulti: answer.headers.get("x-multi"),
                  answerCookies: answer.headers.getSetCookie().join(";"),
                };
                return new Response(JSON.stringify({ ...fromObject, ...json }), { status: answer.status, headers: answer.headers });
              },
            };
            """, JavaScriptWorkers.CounterConfig));

        var result = await worker.FetchAsync("/", ("X-Probe", "seen"));

        Assert.True(result.Response.Status == 202, result.Error + result.Response.Text);
        var body = JsonDocument.Parse(result.Response.Text).RootElement;
        Assert.Equal("TypeError", body.GetProperty("emptyKey").GetString());
        Assert.Equal("TypeError", body.GetProperty("numberKey").GetString());
        Assert.Equal("TypeError", body.GetProperty("undefinedValue").GetString());
        Assert.Equal("TypeError", body.GetProperty("cyclic").GetString());
        Assert.Equal("RangeError", body.GetProperty("longKey").GetString());
        Assert.Equal("""{"a":[1,"two"],"n":null}""", body.GetProperty("roundTrip").GetString());
        Assert.Equal("undefined", body.GetProperty("missing").GetString());
        Assert.Equal("""{"o":{"a":[1,"two"],"n":null}}""", body.GetProperty("many").GetString());
        Assert.Equal("rejects", body.GetProperty("rejectsNotThrows").GetString());
        Assert.Equal("RangeError", body.GetProperty("tooLarge").GetString());
        Assert.Equal("100000", body.GetProperty("large").GetString());
        Assert.Equal(1, body.GetProperty("toJsonCalls").GetInt32());
        Assert.Equal("seen", body.GetProperty("sawHeader").GetString());
        Assert.Equal(string.Empty, body.GetProperty("undefinedBody").GetString());
        Assert.Equal("201,application/json", body.GetProperty("created").GetString());
        Assert.Equal("RangeError", body.GetProperty("fractionStatus").GetString());
        Assert.Equal("Fine", body.GetProperty("statusText").GetString());
        Assert.True(body.GetProperty("instance").GetBoolean());
        Assert.Equal("TypeError", body.GetProperty("cycle").GetString());
        Assert.Equal("1, 2", body.GetProperty("answerMulti").GetString());
        Assert.Equal("a=1;b=2", body.GetProperty("answerCookies").GetString());
        Assert.Equal(["a=1", "b=2"], result.Response.Headers.Where(h => h.Key == "set-cookie").Select(h => h.Value));
        Assert.Equal("1, 2", result.Response.Headers.Single(h => h.Key == "x-multi").Value);
    }

    [Fact]
    public async Task Namespace_and_stub_calls_the_host_answers_itself_behave_as_the_preludes_code()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject {
              async fetch(request) {
                return Response.json({ name: this.ctx.id.name ?? null, id: this.ctx.id.toString(), url: request.url, method: request.method, probe: request.headers.get("x-probe") });
              }
            }
            export default {
              async fetch(request, env) {
                const ns = env.COUNTER;
                const { idFromName } = ns;
                const a = ns.idFromName("n1"), b = idFromName("n1"), c = ns.idFromName(42);
                const stub = ns.get(a);
                const ask = async (p) => { try { return await (await p).json(); } catch (e) { return e.name; } };
                const custom = ns.idFromName("n2");
                custom.toString = () => ns.idFromName("n3").toString();
                return Response.json({
                  keys: Object.keys(ns).join(), frozen: Object.isFrozen(ns),
                  sameId: a.toString() === b.toString() && a.equals(b), name: a.name, numberName: c.name,
                  numberId: c.toString() === ns.idFromName("42").toString(),
                  idClass: Object.getPrototypeOf(a) === Object.getPrototypeOf(ns.idFromString(a.toString())),
                  stubName: stub.name, stubId: stub.id === a, stubKeys: Object.keys(stub).join(),
                  promise: stub.fetch(request) instanceof Promise,
                  direct: await ask(stub.fetch(request)),
                  byUrl: await ask(stub.fetch("https://elsewhere.example/path?q=1")),
                  withInit: await ask(stub.fetch(request, { method: "POST", body: "x" })),
                  customToString: await ask(ns.get(custom).fetch(request)), n3: ns.idFromName("n3").toString(),
                  noId: await ask(Promise.resolve().then(() => ns.get(undefined))),
                  rpc: (() => { const call = stub.hello(); call.catch(() => {}); return call instanceof Promise ? "promise" : typeof call; })(),
                  getterThrows: (() => {
                    const s = ns.get(ns.idFromName("a"));
                    Object.defineProperty(s.id, "name", { get() { throw new Error("x"); } });
                    try { s.fetch(request).catch(() => {}); return "rejects"; } catch { return "throws"; }
                  })(),
                });
              },
            };
            """, JavaScriptWorkers.CounterConfig));

        var result = await worker.FetchAsync("/asked", ("X-Probe", "seen"));

        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        var body = JsonDocument.Parse(result.Response.Text).RootElement;
        Assert.Equal("idFromName,idFromString,newUniqueId,get,getByName,jurisdiction", body.GetProperty("keys").GetString());
        Assert.True(body.GetProperty("frozen").GetBoolean());
        Assert.True(body.GetProperty("sameId").GetBoolean());
        Assert.Equal("n1", body.GetProperty("name").GetString());
        Assert.Equal("42", body.GetProperty("numberName").GetString());
        Assert.True(body.GetProperty("numberId").GetBoolean());
        Assert.True(body.GetProperty("idClass").GetBoolean());
        Assert.Equal("n1", body.GetProperty("stubName").GetString());
        Assert.True(body.GetProperty("stubId").GetBoolean());
        Assert.Equal("_class,id,name", body.GetProperty("stubKeys").GetString());
        Assert.True(body.GetProperty("promise").GetBoolean());
        var direct = body.GetProperty("direct");
        Assert.Equal("n1", direct.GetProperty("name").GetString());
        Assert.Equal(DurableObjectId.FromName("Counter", "n1"), direct.GetProperty("id").GetString());
        Assert.EndsWith("/asked", direct.GetProperty("url").GetString());
        Assert.Equal("seen", direct.GetProperty("probe").GetString());
        Assert.Equal("https://elsewhere.example/path?q=1", body.GetProperty("byUrl").GetProperty("url").GetString());
        Assert.Equal("POST", body.GetProperty("withInit").GetProperty("method").GetString());
        var custom = body.GetProperty("customToString");
        Assert.Equal(body.GetProperty("n3").GetString(), custom.GetProperty("id").GetString());
        Assert.Equal("n2", custom.GetProperty("name").GetString());
        Assert.Equal("TypeError", body.GetProperty("noId").GetString());
        Assert.Equal("promise", body.GetProperty("rpc").GetString());
        Assert.Equal("rejects", body.GetProperty("getterThrows").GetString());
    }

    [Fact]
    public async Task Objects_the_host_makes_are_ordinary_objects_of_the_preludes_classes()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject {}
            const fields = (o) => Reflect.ownKeys(o).map((k) => {
              const d = Object.getOwnPropertyDescriptor(o, k);
              return `${String(k)}:${+d.writable}${+d.enumerable}${+d.configurable}`;
            }).join();
            export default {
              async fetch(request, env) {
                const json = Response.json({ a: 1 });
                const id = env.COUNTER.idFromName("x");
                const stub = env.COUNTER.get(id);
                const before = { request: fields(request), json: fields(json), id: fields(id), stub: fields(stub) };
                const classes = request instanceof Request && json instanceof Response
                  && Object.getPrototypeOf(request) === Request.prototype && Object.getPrototypeOf(json) === Response.prototype;
                const probe = request.headers.get("x-probe");
                request.extra = 1;
                delete json._status;
                Object.setPrototypeOf(id, null);
                return Response.json({
                  before, classes, probe, status: json.status, text: await json.text(),
                  afterRequest: fields(request), afterJson: fields(json), idProto: Object.getPrototypeOf(id), stubId: stub.id === id,
                });
              },
            };
            """, JavaScriptWorkers.CounterConfig));

        var result = await worker.FetchAsync("/made", ("X-Probe", "seen"));

        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        var body = JsonDocument.Parse(result.Response.Text).RootElement;
        var before = body.GetProperty("before");
        Assert.Equal("_body:111,_url:111,_method:111,_pairs:111", before.GetProperty("request").GetString());
        Assert.Equal("_body:111,_status:111,_pairs:111", before.GetProperty("json").GetString());
        Assert.Equal("_hex:111,name:111", before.GetProperty("id").GetString());
        Assert.Equal("_class:111,id:111,name:111", before.GetProperty("stub").GetString());
        Assert.True(body.GetProperty("classes").GetBoolean());
        Assert.Equal("seen", body.GetProperty("probe").GetString());
        // A field read or added later, or deleted, behaves as on any object (a Response without its status has none).
        Assert.StartsWith("_body:111,_url:111,_method:111,_pairs:111,", body.GetProperty("afterRequest").GetString(), StringComparison.Ordinal);
        Assert.EndsWith(",extra:111", body.GetProperty("afterRequest").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("_status", body.GetProperty("afterJson").GetString(), StringComparison.Ordinal);
        Assert.False(body.TryGetProperty("status", out _));
        Assert.Equal("{\"a\":1}", body.GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("idProto").ValueKind);
        Assert.True(body.GetProperty("stubId").GetBoolean());
    }

    [Fact]
    public async Task An_answer_passed_on_unread_lists_its_headers_as_a_Headers_does()
    {
        var backend = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await backend.DeployAsync(JavaScriptWorkers.Draft("backend", """
            export default { fetch() { return new Response("b", { status: 203, headers: [["X-B", "1"], ["x-a", "2"], ["X-A", "3"], ["Set-Cookie", "c=1"], ["set-cookie", "d=2"]] }); } };
            """, "name = \"backend\""));
        var front = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await front.DeployAsync(JavaScriptWorkers.Draft("front", """
            export default { fetch(request, env) { return env.BACKEND.fetch(request); } };
            """, $"name = \"front\"\n[[services]]\nbinding = \"BACKEND\"\nservice = \"{backend.Name}\""));

        var result = await front.FetchAsync("/");

        Assert.Equal(203, result.Response.Status);
        Assert.Equal("b", result.Response.Text);
        var names = result.Response.Headers.Select(h => h.Key).ToList();
        Assert.All(names, n => Assert.Equal(n.ToLowerInvariant(), n));
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal("2, 3", result.Response.Headers.Single(h => h.Key == "x-a").Value);
        Assert.Equal(["c=1", "d=2"], result.Response.Headers.Where(h => h.Key == "set-cookie").Select(h => h.Value));
    }

    [Fact]
    public async Task A_response_returned_at_once_is_read_after_its_microtasks_and_misuse_gets_a_javascript_error()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject { fetch() { return new Response("counted"); } }
            export default {
              fetch(request, env) {
                const stub = env.COUNTER.get(env.COUNTER.idFromName("x"));
                const { fetch } = stub;
                const response = new Response(String(Object.create(Response.prototype).headers), { status: 201 });
                fetch("https://x/").then(() => "accepted", (e) => e.name).then((outcome) => response.headers.set("x-detached", outcome));
                queueMicrotask(() => response.headers.set("x-late", "set in a microtask"));
                return response;
              },
            };
            """, JavaScriptWorkers.CounterConfig));

        var result = await worker.FetchAsync("/");

        Assert.True(result.Response.Status == 201, result.Error + result.Response.Text);
        Assert.Equal("undefined", result.Response.Text);
        Assert.Equal("set in a microtask", result.Response.Headers.Single(h => h.Key == "x-late").Value);
        Assert.Equal("TypeError", result.Response.Headers.Single(h => h.Key == "x-detached").Value);
    }

    [Fact]
    public async Task A_service_binding_reaches_the_other_worker_with_the_version_headers_and_console_lines_land_in_the_trace_event()
    {
        var backend = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await backend.DeployAsync(JavaScriptWorkers.Draft("backend", """
            export default { fetch(request) { return Response.json({ key: request.headers.get("Cloudflare-Workers-Version-Key"), path: new URL(request.url).pathname }); } };
            """, "name = \"backend\""));
        var front = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await front.DeployAsync(JavaScriptWorkers.Draft("front", """
            export default {
              async fetch(request, env) {
                console.log("calling", "backend");
                const answer = await env.BACKEND.fetch("https://backend/inner");
                return new Response(await answer.text(), { headers: { "content-type": "application/json" } });
              },
            };
            """, $"name = \"front\"\n[[services]]\nbinding = \"BACKEND\"\nservice = \"{backend.Name}\""));

        var result = await front.FetchAsync("/outer", ("Cloudflare-Workers-Version-Key", "user-7"));

        var body = JsonDocument.Parse(result.Response.Text).RootElement;
        Assert.Equal("user-7", body.GetProperty("key").GetString());
        Assert.Equal("/inner", body.GetProperty("path").GetString());
        var events = new List<TraceEvent>();
        await foreach (var e in front.TailAsync(new TailFilter { Follow = false }))
        {
            events.Add(e);
        }

        var log = Assert.Single(Assert.Single(events).Logs);
        Assert.Equal("log", log.Level);
        Assert.Equal("calling backend", Assert.Single(log.Message));
    }

    [Fact]
    public async Task Input_the_platform_refuses_is_refused_and_internal_headers_are_not_seen()
    {
        var body = await Json("""
            export default {
              async fetch(request) {
                const refused = {};
                for (const [name, run] of Object.entries({
                  relativeUrl: () => new URL("/no-scheme"),
                  headerValue: () => new Headers().set("x", "a\r\nb"),
                  nullBodyStatus: () => new Response("body", { status: 204 }),
                })) {
                  try { run(); refused[name] = "accepted"; } catch (e) { refused[name] = e.name; }
                }
                const id = setTimeout(() => {}, Infinity);
                clearTimeout(id);
                refused.internal = [...request.headers.keys()].filter((k) => k.startsWith("x-simulator-"));
                return Response.json(refused);
              },
            };
            """);

        Assert.Equal("TypeError", body.GetProperty("relativeUrl").GetString());
        Assert.Equal("TypeError", body.GetProperty("headerValue").GetString());
        Assert.Equal("TypeError", body.GetProperty("nullBodyStatus").GetString());
        Assert.Equal("[]", body.GetProperty("internal").GetRawText());
    }

    [Fact]
    public async Task Bytes_cross_the_boundary_unchanged_both_ways()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            export default { async fetch(request) { const b = await request.bytes(); return new Response(b.map(x => 255 - x)); } };
            """, NoBindings));
        byte[] sent = [0, 1, 2, 200, 255, 0xC3, 0x28];

        var result = await fixture.Cluster.Client.GetGrain<IWorkerGrain>(worker.Name).Invoke(new WorkerRequest { Method = "POST", Url = $"https://{worker.Name}.localhost/", Body = sent });

        Assert.Equal(sent.Select(b => (byte)(255 - b)), result.Response.Body);
    }

    [Theory]
    [InlineData("import './missing.js'; export default { fetch() { return new Response('x'); } };", "Module 'missing.js' is imported but was not uploaded")]
    [InlineData("import { x } from 'lodash'; export default {};", "Module 'lodash' is not part of the upload")]
    [InlineData("throw new Error('top-level boom'); export default {};", "top-level boom")]
    [InlineData("export default { fetch() { return new Response('no class'); } };", "exports no class Counter")]
    public async Task A_version_whose_modules_cannot_load_is_refused_at_upload_with_what_to_fix(string main, string expected)
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());

        var refused = await Assert.ThrowsAsync<RuleRefusedException>(() => worker.DeployAsync(JavaScriptWorkers.Draft("A", main)));

        Assert.Equal(10021, refused.Code);
        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        Assert.Null(await worker.Query.History());
    }
}
