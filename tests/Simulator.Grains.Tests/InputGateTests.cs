using Simulator.Core.Tests;
using Simulator.Testing;

namespace Simulator.Grains.Tests;

/// <summary>The platform's input gate: events enter an object while its handler awaits; blockConcurrencyWhile closes it.</summary>
[Collection(VirtualClockCollection.Name)]
public sealed class InputGateTests(VirtualClockFixture fixture)
{
    private static readonly string Config = JavaScriptWorkers.OneClassConfig("THING", "Thing");

    private const string Code = """
        import { DurableObject } from "cloudflare:workers";
        export class Thing extends DurableObject {
          constructor(ctx, env) {
            super(ctx, env);
            this.waiters = [];
            this.ready = false;
            // The constructor's own work, awaited before any event is delivered.
            ctx.blockConcurrencyWhile(async () => {
              this.loaded = (await ctx.storage.get("loaded")) ?? "fresh";
              if (ctx.id.name.startsWith("slow")) await new Promise((resolve) => setTimeout(resolve, 5000));
              this.ready = true;
            });
          }
          async ping(other) { return `pong from ${this.ctx.id.name} via ${await this.env.THING.getByName(other).relay(this.ctx.id.name)}`; }
          async relay(back) { return `${this.ctx.id.name}, who asked ${await this.env.THING.getByName(back).whoAmI()}`; }
          whoAmI() { return this.ctx.id.name; }
          wait() { return new Promise((resolve) => this.waiters.push(resolve)); }
          release(value) { const n = this.waiters.length; this.waiters.splice(0).forEach((resolve) => resolve(value)); return n; }
          state() { return { ready: this.ready, loaded: this.loaded }; }
        }
        export default {
          async fetch(request, env) {
            const url = new URL(request.url);
            const [, verb, name, arg] = url.pathname.split("/");
            const stub = env.THING.getByName(name);
            if (verb === "ping") return Response.json(await stub.ping(arg));
            if (verb === "wait") return Response.json(await stub.wait());
            if (verb === "release") return Response.json(await stub.release(arg));
            return Response.json(await stub.state());
          },
        };
        """;

    private async Task<WorkerHandle> Deploy()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", Code, Config));
        return worker;
    }


    [Fact]
    public async Task A_call_from_A_to_B_back_to_A_completes()
    {
        var worker = await Deploy();
        var answer = await worker.JsonAsync("/ping/alpha/beta").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("pong from alpha via beta, who asked alpha", answer.GetString());
    }

    [Fact]
    public async Task A_long_poll_completes_when_a_later_request_resolves_it()
    {
        var worker = await Deploy();
        var poll = worker.JsonAsync("/wait/room");
        var released = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (released == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The long-poll never reached the object.");
            released = (await worker.JsonAsync("/release/room/hello")).GetInt32();
        }

        Assert.Equal(1, released);
        Assert.Equal("hello", (await poll.WaitAsync(TimeSpan.FromSeconds(10))).GetString());
    }

    [Fact]
    public async Task Block_concurrency_while_holds_every_event_until_it_settles()
    {
        var worker = await Deploy();

        // Its promise settles within the constructor's turn: the first event already sees its work.
        var quick = await worker.JsonAsync("/state/quick");
        Assert.True(quick.GetProperty("ready").GetBoolean());
        Assert.Equal("fresh", quick.GetProperty("loaded").GetString());

        // It waits 5 s of simulated time: both events wait with it, and see it done.
        var first = worker.JsonAsync("/state/slow");
        var second = worker.JsonAsync("/state/slow");
        await Task.Delay(200);
        Assert.False(first.IsCompleted || second.IsCompleted, "an event entered while blockConcurrencyWhile ran");
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.True((await first.WaitAsync(TimeSpan.FromSeconds(10))).GetProperty("ready").GetBoolean());
        Assert.True((await second.WaitAsync(TimeSpan.FromSeconds(10))).GetProperty("ready").GetBoolean());
    }

    private const string Breaking = """
        import { DurableObject } from "cloudflare:workers";
        export class Thing extends DurableObject {
          constructor(ctx, env) {
            super(ctx, env);
            this.count = 0;
            // The first construction hangs (or throws) in its block; later ones do not.
            ctx.blockConcurrencyWhile(async () => {
              const built = ((await ctx.storage.get("built")) ?? 0) + 1;
              await ctx.storage.put("built", built);
              this.built = built;
              if (built === 1 && ctx.id.name === "hangs") await new Promise(() => {});
              if (built === 1 && ctx.id.name === "throws") throw new RangeError("could not load");
            });
          }
          inc() { return { count: ++this.count, built: this.built }; }
          async fail() { await this.ctx.blockConcurrencyWhile(async () => { throw new Error("bad block"); }); }
        }
        export default {
          async fetch(request, env) {
            const [, verb, name] = new URL(request.url).pathname.split("/");
            const stub = env.THING.getByName(name);
            try { return Response.json(verb === "fail" ? await stub.fail() : await stub.inc()); }
            catch (e) { return Response.json({ error: e.message }, { status: 500 }); }
          },
        };
        """;

    [Fact]
    public async Task A_block_that_throws_resets_the_object_its_callers_get_the_error_and_the_next_call_builds_a_new_instance()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", Breaking, Config));

        var first = await worker.FetchAsync("/inc/throws");
        Assert.Equal(500, first.Response.Status);
        Assert.Contains("could not load", first.Response.Text, StringComparison.Ordinal);

        // Built again from storage: the block's write stayed, memory did not.
        Assert.Equal("""{"count":1,"built":2}""", (await worker.FetchAsync("/inc/throws")).Response.Text);
        Assert.Equal("""{"count":2,"built":2}""", (await worker.FetchAsync("/inc/throws")).Response.Text);

        // A block that fails in a method resets the object too, without counting a code update.
        Assert.Contains("bad block", (await worker.FetchAsync("/fail/throws")).Response.Text, StringComparison.Ordinal);
        Assert.Equal("""{"count":1,"built":3}""", (await worker.FetchAsync("/inc/throws")).Response.Text);
        Assert.Equal(0, (await worker.ObjectAsync("Thing", "throws")).ResetCount);
    }

    [Fact]
    public async Task A_block_that_has_not_settled_after_30_simulated_seconds_resets_the_object_and_fails_every_waiting_call()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", Breaking, Config));

        var first = worker.FetchAsync("/inc/hangs");
        var second = worker.FetchAsync("/inc/hangs");
        // The block's 30 s start when its constructor runs, which a loaded machine may take a while
        // to reach: the clock moves only once the object is running the call (then a moment more).
        await Eventually.Until("the object to run its first call", TimeSpan.FromSeconds(10), async () => (await Listed.ObjectAsync(worker, "hangs")).State, state => state == "active");
        await Task.Delay(200);
        Assert.False(first.IsCompleted || second.IsCompleted, "a call entered while blockConcurrencyWhile ran");
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(29));
        await Task.Delay(100);
        Assert.False(first.IsCompleted || second.IsCompleted, "the block timed out before 30 s");
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(1));

        const string TimedOut = "A call to blockConcurrencyWhile() in a Durable Object waited for too long. The call was canceled and the Durable Object was reset.";
        foreach (var call in new[] { first, second })
        {
            var result = await call.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(500, result.Response.Status);
            Assert.Contains(TimedOut, result.Response.Text, StringComparison.Ordinal);
        }

        Assert.Equal("""{"count":1,"built":2}""", (await worker.FetchAsync("/inc/hangs").WaitAsync(TimeSpan.FromSeconds(10))).Response.Text);
    }
}
