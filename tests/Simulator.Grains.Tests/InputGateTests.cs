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
}
