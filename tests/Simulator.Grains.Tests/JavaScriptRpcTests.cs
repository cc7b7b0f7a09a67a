using System.Text.Json;
using Simulator.Contracts;
using Simulator.Testing;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>JS RPC on Durable Object stubs: calls, values as the platform clones them, errors and their flags, and traces.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JavaScriptRpcTests(ClusterFixture fixture)
{
    private static readonly string Config = JavaScriptWorkers.OneClassConfig("THING", "Thing");

    private async Task<(WorkerHandle Worker, JsonElement Body)> Run(string main, string path = "/x")
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", main, Config));
        return (worker, await worker.JsonAsync(path));
    }


    [Fact]
    public async Task The_starter_templates_call_reaches_the_objects_method_by_name_and_the_stub_knows_the_name()
    {
        var (worker, body) = await Run("""
            import { DurableObject } from "cloudflare:workers";
            export class Thing extends DurableObject {
              async sayHello(name) { return `Hello, ${name}! I am ${this.ctx.id.name}`; }
            }
            export default {
              async fetch(request, env) {
                const stub = env.THING.getByName("foo");
                return Response.json({ greeting: await stub.sayHello("world"), name: stub.name, isThenable: typeof stub.then });
              },
            };
            """);

        Assert.Equal("Hello, world! I am foo", body.GetProperty("greeting").GetString());
        Assert.Equal("foo", body.GetProperty("name").GetString());
        Assert.Equal("undefined", body.GetProperty("isThenable").GetString());
        var status = await worker.ObjectAsync("Thing", "foo");
        Assert.Equal(1, status.RequestsSinceBuilt);
    }

    [Fact]
    public async Task Values_cross_as_the_platform_clones_them_with_their_types_and_shared_references()
    {
        var (_, body) = await Run("""
            import { DurableObject } from "cloudflare:workers";
            export class Thing extends DurableObject {
              echo(value) { return value; }
              describe(value) {
                return {
                  date: value.date instanceof Date && value.date.getTime() === 86400000,
                  map: value.map instanceof Map && value.map.get("k").deep === 1,
                  set: value.set instanceof Set && value.set.has(3),
                  bytes: value.bytes instanceof Uint8Array && value.bytes.length === 3 && value.bytes[2] === 3,
                  floats: value.floats instanceof Float64Array && value.floats[1] === 2.5,
                  buffer: value.buffer instanceof ArrayBuffer && value.buffer.byteLength === 4,
                  big: value.big === 12345678901234567890n,
                  regexp: value.regexp instanceof RegExp && value.regexp.flags === "gi" && value.regexp.source === "a+b",
                  holes: value.holes.length === 3 && !(1 in value.holes),
                  cycle: value.self === value,
                  shared: value.left === value.right,
                  undef: "u" in value && value.u === undefined,
                  text: value.text === "a\u00e9\ud83d\ude00",
                };
              }
            }
            export default {
              async fetch(request, env) {
                const shared = { n: 1 };
                const value = {
                  date: new Date(86400000), map: new Map([["k", { deep: 1 }]]), set: new Set([1, 2, 3]),
                  bytes: new Uint8Array([1, 2, 3]), floats: new Float64Array([1, 2.5]), buffer: new ArrayBuffer(4),
                  big: 12345678901234567890n, regexp: /a+b/gi, holes: [1, , 3], left: shared, right: shared, u: undefined,
                  text: "a\u00e9\ud83d\ude00",
                };
                value.self = value;
                const stub = env.THING.getByName("values");
                const there = await stub.describe(value);
                const back = await stub.echo(value);
                const here = back.self === back && back.left === back.right && back.map.get("k").deep === 1 && back.bytes[1] === 2 && back.big === 12345678901234567890n && back.date.getTime() === 86400000;
                return Response.json({ there, here, nested: await stub.echo([[1, [2, [3]]], null, true, -0, NaN]) });
              },
            };
            """);

        foreach (var check in body.GetProperty("there").EnumerateObject())
        {
            Assert.True(check.Value.GetBoolean(), $"'{check.Name}' did not cross as the platform clones it");
        }

        Assert.True(body.GetProperty("here").GetBoolean());
        Assert.Equal("[[1,[2,[3]]],null,true,0,null]", body.GetProperty("nested").GetRawText());
    }

    [Fact]
    public async Task Errors_keep_their_name_message_and_properties_and_are_marked_remote()
    {
        var (_, body) = await Run("""
            import { DurableObject } from "cloudflare:workers";
            export class Thing extends DurableObject {
              fail() { const e = new RangeError("too far"); e.code = 42; throw e; }
              async failLater() { await this.ctx.storage.get("x"); throw new TypeError("later"); }
              custom() { class MyError extends Error { constructor(m) { super(m); this.name = "MyError"; } } throw new MyError("mine"); }
              get count() { return 7; }
            }
            export class Plain { constructor(state, env) {} hello() { return 1; } }
            const caught = async (p) => { try { await p; return null; } catch (e) { return { name: e.name, message: e.message, remote: e.remote ?? null, code: e.code ?? null, isError: e instanceof Error }; } };
            export default {
              async fetch(request, env) {
                const stub = env.THING.getByName("errors");
                return Response.json({
                  fail: await caught(stub.fail()),
                  failLater: await caught(stub.failLater()),
                  custom: await caught(stub.custom()),
                  missing: await caught(stub.nope()),
                  reserved: await caught(stub.alarm()),
                  ownField: await caught(stub.ctx()),
                  inherited: await caught(stub.hasOwnProperty("x")),
                  fn: await caught(stub.fail(() => 1)),
                  instance: await caught(stub.fail(new (class Point { constructor() { this.x = 1; } })())),
                  count: await stub.count,
                });
              },
            };
            """);

        void Expect(string call, string name, string message)
        {
            var error = body.GetProperty(call);
            Assert.True(error.ValueKind == JsonValueKind.Object, $"{call} did not throw");
            Assert.Equal(name, error.GetProperty("name").GetString());
            Assert.Equal(message, error.GetProperty("message").GetString());
            Assert.True(error.GetProperty("isError").GetBoolean());
        }

        Expect("fail", "RangeError", "too far");
        Assert.Equal(42, body.GetProperty("fail").GetProperty("code").GetInt32());
        Assert.True(body.GetProperty("fail").GetProperty("remote").GetBoolean());
        Expect("failLater", "TypeError", "later");
        Expect("custom", "MyError", "mine");
        Expect("missing", "TypeError", "The RPC receiver does not implement the method \"nope\".");
        Expect("reserved", "TypeError", "'alarm' is a reserved method and cannot be called over RPC.");
        Expect("ownField", "TypeError", "The RPC receiver does not implement the method \"ctx\".");
        Expect("inherited", "TypeError", "The RPC receiver does not implement the method \"hasOwnProperty\".");
        Expect("fn", "Error", "Passing a function over JS RPC is not simulated by dosim: pass plain data (objects, arrays, Map, Set, Date, typed arrays, errors).");
        Expect("instance", "DataCloneError", "Could not serialize object of type \"Point\". This type does not support serialization.");
        Assert.Equal(7, body.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_class_that_does_not_extend_DurableObject_refuses_rpc_with_the_platforms_text()
    {
        var (_, body) = await Run("""
            export class Thing { constructor(state, env) {} hello() { return 1; } }
            export default {
              async fetch(request, env) {
                try { await env.THING.getByName("plain").hello(); return Response.json({ threw: false }); }
                catch (e) { return Response.json({ name: e.name, message: e.message }); }
              },
            };
            """);

        Assert.Equal("TypeError", body.GetProperty("name").GetString());
        Assert.StartsWith("The receiving Durable Object does not support RPC, because its class was not declared with `extends DurableObject`.", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_call_is_an_rpc_invocation_attributed_to_the_objects_version()
    {
        var (worker, _) = await Run("""
            import { DurableObject } from "cloudflare:workers";
            export class Thing extends DurableObject {
              ping() { console.log("pinged"); return "pong"; }
              boom() { throw new Error("kaboom"); }
            }
            export default {
              async fetch(request, env) {
                const stub = env.THING.getByName("traced");
                const a = await stub.ping();
                try { await stub.boom(); } catch {}
                return Response.json({ a });
              },
            };
            """);

        var version = (await worker.HistoryAsync()).CurrentDeployment!.Versions[0].VersionId;
        var events = new List<TraceEvent>();
        await foreach (var e in worker.TailAsync(new TailFilter { Follow = false }))
        {
            events.Add(e);
        }

        var rpc = events.Where(e => e.EventType == "rpc").OrderBy(e => e.Sequence).ToList();
        Assert.Equal(["ping", "boom"], rpc.Select(e => e.Event.RpcMethod));
        Assert.All(rpc, e => Assert.Equal("Thing", e.Entrypoint));
        Assert.All(rpc, e => Assert.Equal(version, e.ScriptVersion.Id));
        Assert.Equal(["ok", "exception"], rpc.Select(e => e.Outcome));
        Assert.Equal("pinged", Assert.Single(rpc[0].Logs).Message[0]);
        Assert.Contains("kaboom", Assert.Single(rpc[1].Exceptions).Message, StringComparison.Ordinal);
        Assert.Null(rpc[0].Event.Request);

        var analytics = await worker.AnalyticsAsync();
        var thing = Assert.Single(Assert.Single(analytics.DurableObjects, o => o.ClassName == "Thing").Versions);
        Assert.Equal(version, thing.VersionId);
        Assert.Equal(2, thing.Requests);
        Assert.Equal(1, thing.Errors);
    }

    [Fact]
    public async Task A_stub_held_across_its_objects_reset_fails_its_next_call_and_a_new_stub_reaches_the_new_code()
    {
        const string Code = """
            import { DurableObject } from "cloudflare:workers";
            export class Thing extends DurableObject { version() { return this.env.VERSION.tag; } }
            let held = null;
            export default {
              async fetch(request, env) {
                held ??= env.THING.getByName("held");
                let viaHeld;
                try { viaHeld = await held.version(); }
                catch (e) { viaHeld = { message: e.message, durableObjectReset: e.durableObjectReset ?? null }; }
                return Response.json({ worker: env.VERSION.tag, viaHeld, viaNew: await env.THING.getByName("held").version() });
              },
            };
            """;
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync(JavaScriptWorkers.Draft("A", Code, Config));
        // A version runs on an engine per core, each with its own module globals: every one of them gets to hold a stub.
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal("A", (await worker.JsonAsync("/")).GetProperty("viaHeld").GetString());
        }

        var b = await worker.UploadAsync(JavaScriptWorkers.Draft("B", Code, Config));
        await worker.DeployVersionsAsync((b.Id, 100), (a.Id, 0));
        await worker.DeployVersionsAsync((b.Id, 0), (a.Id, 100));

        // A stays deployed (at 0%, then 100%), so the Worker's A engine still holds the stub; the
        // object went to B and back to A: two resets.
        var second = await worker.JsonAsync("/");
        Assert.Equal("A", second.GetProperty("worker").GetString());
        var broken = second.GetProperty("viaHeld");
        Assert.Equal(DurableObjectStubBrokenException.PlatformMessage, broken.GetProperty("message").GetString());
        Assert.True(broken.GetProperty("durableObjectReset").GetBoolean());
        Assert.Equal("A", second.GetProperty("viaNew").GetString());
        Assert.Equal(2, (await worker.ObjectAsync("Thing", "held")).ResetCount);
    }
}
