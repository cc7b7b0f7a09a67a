using Simulator.Core;
using Simulator.Core.Tests;
using Simulator.Testing;

namespace Simulator.Grains.Tests;

/// <summary>
/// The platform's lifecycle on the virtual clock, for objects without sockets: an idle object that
/// can hibernate leaves memory after 10 s (its in-memory state gone, its storage kept, no reset
/// counted); one whose code has a timer pending cannot, and is evicted after 70 s with no request
/// or event; <c>PreventEviction</c> keeps every idle object in memory, as workerd's option does.
/// </summary>
[Collection(VirtualClockCollection.Name)]
public sealed class ObjectLifecycleTests(VirtualClockFixture fixture)
{
    private static readonly string Config = JavaScriptWorkers.OneClassConfig("THING", "Thing", sqlite: false);

    // Each call counts in memory and in storage; ?timer leaves a ten-minute timer pending.
    private const string Code = """
        import { DurableObject } from "cloudflare:workers";
        export class Thing extends DurableObject {
          constructor(ctx, env) { super(ctx, env); this.calls = 0; }
          async fetch(request) {
            if (new URL(request.url).searchParams.has("timer")) setTimeout(() => {}, 600000);
            this.calls++;
            const stored = ((await this.ctx.storage.get("n")) ?? 0) + 1;
            await this.ctx.storage.put("n", stored);
            return Response.json({ calls: this.calls, stored });
          }
        }
        export default { fetch: (request, env) => env.THING.getByName(new URL(request.url).pathname.slice(1)).fetch(request) };
        """;

    private static async Task<(int Calls, int Stored)> CallAsync(WorkerHandle worker, string path)
    {
        var json = await worker.JsonAsync(path);
        return (json.GetProperty("calls").GetInt32(), json.GetProperty("stored").GetInt32());
    }

    private static async Task<string> StateAsync(WorkerHandle worker, string name) =>
        (await Listed.ObjectAsync(worker, name)).State;

    private static Task<string> LeftMemoryAsync(WorkerHandle worker, string name) =>
        Eventually.Until($"{name} to leave memory", TimeSpan.FromSeconds(10), () => StateAsync(worker, name), s => s == "inactive");

    private async Task<WorkerHandle> DeployedAsync(DurableObjectsTestCluster cluster)
    {
        var worker = cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("v1", Code, Config));
        return worker;
    }

    [Fact]
    public async Task An_idle_object_stays_in_memory_through_the_grace_and_leaves_it_after_keeping_its_storage()
    {
        var worker = await DeployedAsync(fixture.Cluster);
        Assert.Equal((1, 1), await CallAsync(worker, "/plain"));
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(9));
        Assert.Equal("idle", await StateAsync(worker, "plain"));
        Assert.Equal((2, 2), await CallAsync(worker, "/plain"));

        // 10 s after its last call it hibernates: nothing of the instance is left.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(10));
        await LeftMemoryAsync(worker, "plain");
        Assert.Equal((1, 3), await CallAsync(worker, "/plain"));
        var status = await worker.ObjectAsync("Thing", "plain");
        Assert.Equal((0, true), (status.ResetCount, status.IsActive));
    }

    [Fact]
    public async Task A_pending_timer_keeps_an_idle_object_in_memory_until_the_eviction_after_70_s()
    {
        var worker = await DeployedAsync(fixture.Cluster);
        Assert.Equal((1, 1), await CallAsync(worker, "/timed?timer"));
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("idle", await StateAsync(worker, "timed"));
        Assert.Equal((2, 2), await CallAsync(worker, "/timed"));

        // 69 s after that call it is still there; at 70 s it is evicted, its pending timer with it.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(69));
        Assert.Equal("idle", await StateAsync(worker, "timed"));
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(1));
        await LeftMemoryAsync(worker, "timed");
        Assert.Equal((1, 3), await CallAsync(worker, "/timed"));
    }

    [Fact]
    public async Task An_evicted_objects_pending_timer_is_cancelled_and_no_advance_stops_for_it()
    {
        // A cluster of its own: no other object's timers or alarms in the count.
        await using var cluster = await DurableObjectsTestCluster.StartAsync(1, o => o.VirtualClockStart = VirtualClockFixture.Start);
        var worker = await DeployedAsync(cluster);
        Assert.Equal((1, 1), await CallAsync(worker, "/timed?timer"));
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(70));
        await LeftMemoryAsync(worker, "timed");

        // Its ten-minute timer was due at 600 s: cancelled with the instance, it never fires.
        var reading = await cluster.AdvanceAsync(TimeSpan.FromSeconds(600));
        Assert.Equal(0, reading.TimersFired);
    }

    [Fact]
    public async Task Prevent_eviction_keeps_idle_objects_in_memory_and_a_deferred_update_lands_at_its_deadline()
    {
        await using var cluster = await DurableObjectsTestCluster.StartAsync(1, o =>
        {
            o.VirtualClockStart = VirtualClockFixture.Start;
            o.PreventEviction = true;
        });
        var worker = await DeployedAsync(cluster);
        Assert.Equal((1, 1), await CallAsync(worker, "/kept"));
        await worker.DeployAsync(JavaScriptWorkers.Draft("v2", Code, Config), CodeUpdateStrategy.Parse("deferred=60s"));

        // Idle for 30 s: on the platform's lifecycle it would have hibernated and woken on v2.
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("idle", await StateAsync(worker, "kept"));
        Assert.Equal((2, 2), await CallAsync(worker, "/kept"));
        Assert.Equal(0, (await worker.ObjectAsync("Thing", "kept")).ResetCount);

        await cluster.AdvanceAsync(TimeSpan.FromSeconds(30));
        await Eventually.Until("the deferred update to land", TimeSpan.FromSeconds(10), async () => (await worker.ObjectAsync("Thing", "kept")).ResetCount, n => n == 1);
        Assert.Equal((1, 3), await CallAsync(worker, "/kept"));
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(600));
        Assert.Equal("idle", await StateAsync(worker, "kept"));
    }
}
