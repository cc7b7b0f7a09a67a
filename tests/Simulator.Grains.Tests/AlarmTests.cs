using System.Text.Json;
using Simulator.Contracts;
using Simulator.Testing;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>One silo on a virtual clock: simulated time moves only when a test advances it.</summary>
public sealed class VirtualClockFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private DurableObjectsTestCluster? _cluster;

    public DurableObjectsTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster did not start.");

    public async Task InitializeAsync() => _cluster = await DurableObjectsTestCluster.StartAsync(1, o =>
    {
        TestScripts.Register(o);
        o.VirtualClockStart = Start;
    });

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class VirtualClockCollection : ICollectionFixture<VirtualClockFixture>
{
    public const string Name = "one silo on a virtual clock";
}

/// <summary>Alarms and timers on the virtual clock: what fires when, retries, resets, and the trace of each.</summary>
[Collection(VirtualClockCollection.Name)]
public sealed class AlarmTests(VirtualClockFixture fixture)
{
    private static readonly string Config = JavaScriptWorkers.OneClassConfig("ROOM", "Room");

    // A Room that records each alarm run in its storage; /set?ms=N sets an alarm N ms ahead,
    // /failures?n=N makes its next N alarm runs throw, /log reads what happened.
    private const string Room = """
        import { DurableObject } from "cloudflare:workers";
        export class Room extends DurableObject {
          async alarm(info) {
            const during = await this.ctx.storage.getAlarm();
            const log = (await this.ctx.storage.get("log")) ?? [];
            log.push({ retryCount: info.retryCount, isRetry: info.isRetry, at: Date.now(), version: this.env.VERSION.tag, during });
            await this.ctx.storage.put("log", log);
            const failures = (await this.ctx.storage.get("failures")) ?? 0;
            if (failures > 0) { await this.ctx.storage.put("failures", failures - 1); throw new Error("alarm failed on purpose"); }
          }
          async fetch(request) {
            const url = new URL(request.url);
            if (url.pathname === "/set") { await this.ctx.storage.setAlarm(Date.now() + Number(url.searchParams.get("ms"))); }
            if (url.pathname === "/delete") { await this.ctx.storage.deleteAlarm(); }
            if (url.pathname === "/failures") { await this.ctx.storage.put("failures", Number(url.searchParams.get("n"))); }
            if (url.pathname === "/timer") {
              this.ctx.storage.put("ticks", 0);
              const interval = setInterval(async () => { const t = (await this.ctx.storage.get("ticks")) + 1; await this.ctx.storage.put("ticks", t); if (t === 3) clearInterval(interval); }, 1000);
              const cancelled = setTimeout(() => this.ctx.storage.put("cancelled", "fired"), 500);
              clearTimeout(cancelled);
            }
            const first = Date.now();
            let spin = 0; for (let i = 0; i < 100000; i++) spin += i;
            return Response.json({
              now: first, frozen: Date.now() === first && spin > 0, iso: new Date(first).toISOString(), offset: new Date(first).getTimezoneOffset(),
              alarm: await this.ctx.storage.getAlarm(), log: (await this.ctx.storage.get("log")) ?? [],
              ticks: (await this.ctx.storage.get("ticks")) ?? null, cancelled: (await this.ctx.storage.get("cancelled")) ?? null,
            });
          }
        }
        export default { fetch: (request, env) => env.ROOM.getByName(new URL(request.url).searchParams.get("room") ?? "r").fetch(request) };
        """;

    private async Task<WorkerHandle> Deploy(string tag = "A")
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(JavaScriptWorkers.Draft(tag, Room, Config));
        return worker;
    }


    [Fact]
    public async Task Date_is_utc_frozen_within_a_turn_and_reads_the_virtual_clock()
    {
        var worker = await Deploy();
        var before = (await fixture.Cluster.ClockAsync()).Now;
        var body = await worker.JsonAsync("/");
        Assert.Equal(before.ToUnixTimeMilliseconds(), body.GetProperty("now").GetInt64());
        Assert.True(body.GetProperty("frozen").GetBoolean());
        Assert.Equal(0, body.GetProperty("offset").GetInt32());

        var after = await fixture.Cluster.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.True(after.IsVirtual);
        Assert.Equal(before + TimeSpan.FromMinutes(5), after.Now);
        Assert.Equal(after.Now.ToUnixTimeMilliseconds(), (await worker.JsonAsync("/")).GetProperty("now").GetInt64());
    }

    [Fact]
    public async Task An_alarm_fires_once_when_it_is_due_and_not_before()
    {
        var worker = await Deploy();
        var set = await worker.JsonAsync("/set?ms=5000");
        var due = set.GetProperty("now").GetInt64() + 5000;
        Assert.Equal(due, set.GetProperty("alarm").GetInt64());

        await fixture.Cluster.AdvanceAsync(TimeSpan.FromMilliseconds(4999));
        Assert.Empty((await worker.JsonAsync("/")).GetProperty("log").EnumerateArray());

        await fixture.Cluster.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        var fired = await worker.JsonAsync("/");
        var run = Assert.Single(fired.GetProperty("log").EnumerateArray());
        Assert.Equal(0, run.GetProperty("retryCount").GetInt32());
        Assert.False(run.GetProperty("isRetry").GetBoolean());
        Assert.Equal(due, run.GetProperty("at").GetInt64());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("during").ValueKind);
        Assert.Equal(JsonValueKind.Null, fired.GetProperty("alarm").ValueKind);

        // Once: nothing more fires later.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Single((await worker.JsonAsync("/")).GetProperty("log").EnumerateArray());
    }

    [Fact]
    public async Task An_alarm_that_fails_twice_is_retried_with_backoff_then_succeeds()
    {
        var worker = await Deploy();
        await worker.JsonAsync("/failures?n=2");
        var start = (await worker.JsonAsync("/set?ms=1000")).GetProperty("now").GetInt64();
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromMinutes(1));

        var log = (await worker.JsonAsync("/")).GetProperty("log").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], log.Select(r => r.GetProperty("retryCount").GetInt32()));
        Assert.Equal([false, true, true], log.Select(r => r.GetProperty("isRetry").GetBoolean()));
        // Due at +1 s; retried 2 s after the first failure, then 4 s after the second.
        Assert.Equal([start + 1000, start + 3000, start + 7000], log.Select(r => r.GetProperty("at").GetInt64()));

        var events = new List<TraceEvent>();
        await foreach (var e in worker.TailAsync(new TailFilter { Follow = false }))
        {
            events.Add(e);
        }

        var alarms = events.Where(e => e.EventType == "alarm").OrderBy(e => e.Sequence).ToList();
        Assert.Equal(["exception", "exception", "ok"], alarms.Select(e => e.Outcome));
        Assert.All(alarms, e => Assert.Equal("Room", e.Entrypoint));
        Assert.Equal(start + 1000, alarms[0].Event.ScheduledTimeMs);
    }

    [Fact]
    public async Task An_alarm_survives_a_reset_and_fires_on_the_new_versions_code()
    {
        var worker = await Deploy("A");
        await worker.JsonAsync("/set?ms=10000");
        var b = await worker.UploadAsync(JavaScriptWorkers.Draft("B", Room, Config));
        await worker.DeployVersionsAsync((b.Id, 100));
        Assert.Equal(1, (await worker.ObjectAsync("Room", "r")).ResetCount);

        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(10));
        var run = Assert.Single((await worker.JsonAsync("/")).GetProperty("log").EnumerateArray());
        Assert.Equal("B", run.GetProperty("version").GetString());
    }

    [Fact]
    public async Task A_deleted_alarm_does_not_fire_and_an_object_without_a_handler_cannot_set_one()
    {
        var worker = await Deploy();
        await worker.JsonAsync("/set?ms=1000");
        Assert.Equal(JsonValueKind.Null, (await worker.JsonAsync("/delete")).GetProperty("alarm").ValueKind);
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Empty((await worker.JsonAsync("/")).GetProperty("log").EnumerateArray());

        var plain = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await plain.DeployAsync(JavaScriptWorkers.Draft("A", """
            import { DurableObject } from "cloudflare:workers";
            export class Room extends DurableObject {
              async fetch() {
                const results = {};
                for (const [name, time] of [["noHandler", Date.now() + 1000], ["zero", 0]]) {
                  try { await this.ctx.storage.setAlarm(time); results[name] = "set"; } catch (e) { results[name] = `${e.name}: ${e.message}`; }
                }
                return Response.json(results);
              }
            }
            export default { fetch: (request, env) => env.ROOM.getByName("r").fetch(request) };
            """, Config));
        var refused = await plain.JsonAsync("/");
        Assert.Equal("Error: Your Durable Object class must have an alarm() handler in order to call setAlarm()", refused.GetProperty("noHandler").GetString());
        Assert.Equal("TypeError: setAlarm() cannot be called with an alarm time <= 0", refused.GetProperty("zero").GetString());
    }

    [Fact]
    public async Task Intervals_tick_on_the_virtual_clock_and_a_cleared_timeout_never_fires()
    {
        var worker = await Deploy();
        await worker.JsonAsync("/timer");
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromMilliseconds(2500));
        var midway = await worker.JsonAsync("/");
        Assert.Equal(2, midway.GetProperty("ticks").GetInt32());
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(10));
        var done = await worker.JsonAsync("/");
        Assert.Equal(3, done.GetProperty("ticks").GetInt32());
        Assert.Equal(JsonValueKind.Null, done.GetProperty("cancelled").ValueKind);
    }

    [Fact]
    public async Task The_clock_refuses_to_move_back()
    {
        var error = await Assert.ThrowsAsync<RuleRefusedException>(() => fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(-1)));
        Assert.Contains("positive duration", error.Message, StringComparison.Ordinal);
    }
}
