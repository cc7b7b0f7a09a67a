using Simulator.Core;
using Simulator.Core.Tests;
using Simulator.Testing;

namespace Simulator.Grains.Tests;

/// <summary>
/// Deferred code updates on the virtual clock: an active object keeps its code until it hibernates
/// or its deployment's max_delay passes, then takes the newest version assigned to it, with one
/// reset however many deploys happened meanwhile; an immediate deploy forces what is pending.
/// </summary>
[Collection(VirtualClockCollection.Name)]
public sealed class DeferredCodeUpdateTests(VirtualClockFixture fixture)
{
    private static readonly string Config = JavaScriptWorkers.OneClassConfig("THING", "Thing", sqlite: false);

    // Each object answers with the version it runs.
    private const string Code = """
        import { DurableObject } from "cloudflare:workers";
        export class Thing extends DurableObject {
          async fetch() { return Response.json({ version: this.env.VERSION.tag }); }
        }
        export default { fetch: (request, env) => env.THING.getByName(new URL(request.url).pathname.slice(1)).fetch(request) };
        """;

    private static VersionDraft Draft(string tag) => JavaScriptWorkers.Draft(tag, Code, Config);

    private static async Task<string> VersionOf(WorkerHandle worker, string name) => (await worker.JsonAsync("/" + name)).GetProperty("version").GetString()!;

    private async Task<WorkerHandle> DeployedAsync(params string[] objects)
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(Draft("v1"));
        foreach (var name in objects)
        {
            Assert.Equal("v1", await VersionOf(worker, name));
        }

        return worker;
    }

    // Calls the object every 5 s of virtual time (so it never idles for the 10 s grace) for the span, checking its version each time.
    private async Task KeepBusyAsync(WorkerHandle worker, string name, TimeSpan span, string expected)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < span; elapsed += TimeSpan.FromSeconds(5))
        {
            await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(expected, await VersionOf(worker, name));
        }
    }

    [Fact]
    public async Task A_busy_object_keeps_its_old_code_through_max_delay_and_switches_exactly_at_it()
    {
        var worker = await DeployedAsync("busy");
        var deployed = await worker.DeployAsync(Draft("v2"), CodeUpdateStrategy.Parse("deferred=60s"));
        var now = (await fixture.Cluster.Client.GetGrain<Contracts.IClockGrain>(0).Read()).Now;
        Assert.Equal((0, 1), (deployed.Propagation.Applied.Sum(a => a.ObjectsReset), deployed.Propagation.Applied.Sum(a => a.ObjectsDeferred)));
        Assert.Equal(now.AddSeconds(60), deployed.Propagation.Applied.Max(a => a.DeferredUntil));

        // The query API (dosim objects) shows what it runs, what it is assigned, and the deadline.
        var listed = await Listed.ObjectAsync(worker, "busy");
        var v1 = (await worker.HistoryAsync()).Versions[0].Id;
        Assert.Equal((v1, deployed.Version.Id, now.AddSeconds(60), "idle"), (listed.VersionId, listed.AssignedVersionId!.Value, listed.SwitchBy!.Value, listed.State));

        await KeepBusyAsync(worker, "busy", TimeSpan.FromSeconds(55), "v1");
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("v2", await VersionOf(worker, "busy"));
        var status = await worker.ObjectAsync("Thing", "busy");
        Assert.Equal(1, status.ResetCount);
        Assert.True(status.Resets[0].WasActive);
        var after = await Eventually.Until("the index to show the switch", TimeSpan.FromSeconds(10),
            () => Listed.ObjectAsync(worker, "busy"), o => o.VersionId == deployed.Version.Id);
        Assert.Equal((deployed.Version.Id, (DateTimeOffset?)null), (after.AssignedVersionId!.Value, after.SwitchBy));
    }

    [Fact]
    public async Task An_idle_object_takes_the_new_code_when_it_hibernates_long_before_max_delay()
    {
        var worker = await DeployedAsync("idle");
        await worker.DeployAsync(Draft("v2"), CodeUpdateStrategy.Parse("deferred=300s"));
        Assert.Equal("v1", await VersionOf(worker, "idle"));

        // Idle past the 10 s grace: it hibernates (no instance), 289 s before its deadline.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(11));
        await Eventually.Until("the object to hibernate", TimeSpan.FromSeconds(10),
            async () => (await Listed.ObjectAsync(worker, "idle")).State, state => state == "inactive");
        Assert.Equal("v2", await VersionOf(worker, "idle"));

        // One reset, recorded as it woke: it was not active when it took the new code.
        var status = await worker.ObjectAsync("Thing", "idle");
        Assert.Equal(1, status.ResetCount);
        Assert.False(status.Resets[0].WasActive);
    }

    [Fact]
    public async Task A_deploy_while_an_update_is_pending_ends_on_the_newest_version_with_one_reset()
    {
        var worker = await DeployedAsync("pending");
        var v2 = await worker.DeployAsync(Draft("v2"), CodeUpdateStrategy.Parse("deferred=60s"));
        await KeepBusyAsync(worker, "pending", TimeSpan.FromSeconds(20), "v1");

        // A second deferred deploy does not push the first deadline back.
        var v3 = await worker.DeployAsync(Draft("v3"), CodeUpdateStrategy.Parse("deferred=120s"));
        await KeepBusyAsync(worker, "pending", TimeSpan.FromSeconds(35), "v1");
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("v3", await VersionOf(worker, "pending"));
        var status = await worker.ObjectAsync("Thing", "pending");
        Assert.Equal(1, status.ResetCount);
        Assert.Equal(v3.Version.Id, status.Resets[0].ToVersion);
        Assert.NotEqual(v2.Version.Id, status.Resets[0].ToVersion);
    }

    [Fact]
    public async Task A_later_deploy_with_a_shorter_delay_brings_the_switch_forward()
    {
        var worker = await DeployedAsync("sooner");
        await worker.DeployAsync(Draft("v2"), CodeUpdateStrategy.Parse("deferred=300s"));
        await KeepBusyAsync(worker, "sooner", TimeSpan.FromSeconds(10), "v1");

        // At 10 s a deploy with 20 s: the object switches at 30 s, not 300, by itself (no call needed).
        var v3 = await worker.DeployAsync(Draft("v3"), CodeUpdateStrategy.Parse("deferred=20s"));
        await KeepBusyAsync(worker, "sooner", TimeSpan.FromSeconds(15), "v1");
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        await Eventually.Until("the object to switch at its new deadline", TimeSpan.FromSeconds(10),
            () => Listed.ObjectAsync(worker, "sooner"), o => o.VersionId == v3.Version.Id);
        Assert.Equal("v3", await VersionOf(worker, "sooner"));
        Assert.Equal(1, (await worker.ObjectAsync("Thing", "sooner")).ResetCount);
    }

    [Fact]
    public async Task A_deploy_that_gives_an_object_its_version_back_cancels_its_pending_update()
    {
        var worker = await DeployedAsync("back");
        var v1 = (await worker.HistoryAsync()).Versions[0].Id;
        await worker.DeployAsync(Draft("v2"), CodeUpdateStrategy.Parse("deferred=300s"));
        var back = await worker.DeployVersionsAsync(CodeUpdateStrategy.Parse("deferred=300s"), (v1, 100));
        Assert.Equal((0, 0), (back.Propagation.Applied.Sum(a => a.ObjectsReset), back.Propagation.Applied.Sum(a => a.ObjectsDeferred)));
        Assert.Null((await Listed.ObjectAsync(worker, "back")).SwitchBy);

        // Nothing pending: idle past the grace, it leaves memory on v1 and wakes on v1, never reset.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(11));
        var listed = await Eventually.Until("the object to leave memory", TimeSpan.FromSeconds(10),
            () => Listed.ObjectAsync(worker, "back"), o => o.State == "inactive");
        Assert.Equal(0, listed.ResetCount);
        Assert.Equal("v1", await VersionOf(worker, "back"));
        Assert.Equal(0, (await worker.ObjectAsync("Thing", "back")).ResetCount);
    }

    [Fact]
    public async Task An_immediate_deploy_forces_a_pending_update_at_once()
    {
        var worker = await DeployedAsync("forced");
        await worker.DeployAsync(Draft("v2"), CodeUpdateStrategy.Parse("deferred=300s"));
        Assert.Equal("v1", await VersionOf(worker, "forced"));
        var forced = await worker.DeployAsync(Draft("v3"), CodeUpdateStrategy.ImmediateUpdate);
        Assert.Equal((1, 0), (forced.Propagation.Applied.Sum(a => a.ObjectsReset), forced.Propagation.Applied.Sum(a => a.ObjectsDeferred)));
        Assert.Equal("v3", await VersionOf(worker, "forced"));
        Assert.Equal(1, (await worker.ObjectAsync("Thing", "forced")).ResetCount);
    }

    [Fact]
    public async Task An_object_that_was_not_running_starts_on_its_assigned_version()
    {
        var worker = await DeployedAsync();
        await worker.DeployAsync(Draft("v2"), CodeUpdateStrategy.Parse("deferred=300s"));
        Assert.Equal("v2", await VersionOf(worker, "fresh"));
        Assert.Equal(0, (await worker.ObjectAsync("Thing", "fresh")).ResetCount);
    }

    [Fact]
    public async Task A_deploy_that_names_no_strategy_follows_the_platforms_default_of_300_s()
    {
        var worker = await DeployedAsync("default");
        var v2 = await worker.DeployAsync(Draft("v2"));
        var now = (await fixture.Cluster.ClockAsync()).Now;
        Assert.Equal(now.AddSeconds(300), (await Listed.ObjectAsync(worker, "default")).SwitchBy);
        Assert.Null((await worker.HistoryAsync()).CurrentDeployment!.CodeUpdateStrategy);

        await KeepBusyAsync(worker, "default", TimeSpan.FromSeconds(295), "v1");
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("v2", await VersionOf(worker, "default"));
        var status = await worker.ObjectAsync("Thing", "default");
        Assert.Equal((1, v2.Id), (status.ResetCount, status.VersionId));
    }

    [Fact]
    public async Task The_docs_rollout_deferred_with_steady_traffic_resets_each_object_exactly_once()
    {
        string[] objects = ["foo", "bar", "baz"];
        var worker = await DeployedAsync(objects);
        var a = (await worker.HistoryAsync()).Versions[0].Id;
        var b = (await worker.UploadAsync(Draft("v2"))).Id;

        // A step a minute, each object called every 5 s: none idles, so each keeps v1 until its deadline.
        foreach (var step in new[] { new[] { (b, 20m), (a, 80m) }, [(b, 50m), (a, 50m)], [(b, 100m)] })
        {
            await worker.DeployVersionsAsync(step);
            for (var i = 0; i < 12; i++)
            {
                await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
                foreach (var name in objects)
                {
                    await VersionOf(worker, name);
                }
            }
        }

        // The last deadline is 300 s after the last step's deploy.
        for (var i = 0; i < 60; i++)
        {
            await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
            foreach (var name in objects)
            {
                await VersionOf(worker, name);
            }
        }

        foreach (var name in objects)
        {
            Assert.Equal("v2", await VersionOf(worker, name));
            var status = await worker.ObjectAsync("Thing", name);
            Assert.Equal((1, b), (status.ResetCount, status.VersionId));
            Assert.True(status.Resets[0].WasActive);
        }
    }

    [Fact]
    public async Task The_dry_run_forecasts_what_the_deploy_then_reports_deferred_and_immediate()
    {
        string[] objects = ["p1", "p2", "p3", "p4"];
        var worker = await DeployedAsync(objects);
        var v2 = await worker.UploadAsync(Draft("v2"));
        var deferred = CodeUpdateStrategy.Parse("deferred=45s");
        var now = (await fixture.Cluster.ClockAsync()).Now;

        var preview = await worker.PreviewAsync(deferred, "v2@100%");
        Assert.Equal((4L, 0L, 4L, now.AddSeconds(45)), (preview.ChangingActive, preview.Forecast!.ResetNow, preview.Forecast.Deferred, preview.Forecast.DeferredUntil!.Value));
        Assert.Equal(deferred, preview.CodeUpdate);

        // None given: the platform's default is assumed.
        var byDefault = await worker.PreviewAsync("v2@100%");
        Assert.Equal((CodeUpdateStrategy.PlatformDefault, now.AddSeconds(300)), (byDefault.CodeUpdate, byDefault.Forecast!.DeferredUntil!.Value));

        var deployed = await worker.DeployVersionsAsync(deferred, (v2.Id, 100));
        Assert.Equal(
            (preview.Forecast.ResetNow, preview.Forecast.Deferred, preview.Forecast.DeferredUntil),
            ((long)deployed.Propagation.Applied.Sum(a => a.ObjectsReset), (long)deployed.Propagation.Applied.Sum(a => a.ObjectsDeferred), deployed.Propagation.Applied.Max(a => a.DeferredUntil)));

        // Pending now: a second deferred deploy keeps their deadline; an immediate one would reset all four at once.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        foreach (var name in objects)
        {
            Assert.Equal("v1", await VersionOf(worker, name));
        }

        var v3 = await worker.UploadAsync(Draft("v3"));
        var later = await worker.PreviewAsync(CodeUpdateStrategy.Parse("deferred=300s"), "v3@100%");
        Assert.Equal((0L, 4L, now.AddSeconds(45)), (later.Forecast!.ResetNow, later.Forecast.Deferred, later.Forecast.DeferredUntil!.Value));
        var forced = await worker.PreviewAsync(CodeUpdateStrategy.ImmediateUpdate, "v3@100%");
        Assert.Equal((4L, 0L, (DateTimeOffset?)null), (forced.Forecast!.ResetNow, forced.Forecast.Deferred, forced.Forecast.DeferredUntil));
        var immediate = await worker.DeployVersionsAsync(CodeUpdateStrategy.ImmediateUpdate, (v3.Id, 100));
        Assert.Equal(4, immediate.Propagation.Applied.Sum(a => a.ObjectsReset));
    }

    // Sets an alarm on request; the alarm writes down the version whose code ran it.
    private const string AlarmCode = """
        import { DurableObject } from "cloudflare:workers";
        export class Thing extends DurableObject {
          async fetch(request) {
            const seconds = new URL(request.url).searchParams.get("alarm");
            if (seconds) await this.ctx.storage.setAlarm(Date.now() + Number(seconds) * 1000);
            return Response.json({ version: this.env.VERSION.tag, firedOn: (await this.ctx.storage.get("firedOn")) ?? null, alarm: await this.ctx.storage.getAlarm() });
          }
          async alarm() { await this.ctx.storage.put("firedOn", this.env.VERSION.tag); }
        }
        export default { fetch: (request, env) => env.THING.getByName(new URL(request.url).pathname.slice(1)).fetch(request) };
        """;

    [Fact]
    public async Task An_alarm_set_on_the_old_code_stays_set_through_a_deferred_switch_and_fires_on_the_new_code()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("v1", AlarmCode, Config));
        var set = await worker.JsonAsync("/alarmed?alarm=60");
        Assert.Equal("v1", set.GetProperty("version").GetString());
        var due = set.GetProperty("alarm").GetInt64();

        // Deferred 30 s: busy on v1 until then, reset onto v2 at 30 s, the alarm still set.
        await worker.DeployAsync(JavaScriptWorkers.Draft("v2", AlarmCode, Config), CodeUpdateStrategy.Parse("deferred=30s"));
        for (var elapsed = 0; elapsed < 25; elapsed += 5)
        {
            await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
            Assert.Equal("v1", (await worker.JsonAsync("/alarmed")).GetProperty("version").GetString());
        }

        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        var switched = await worker.JsonAsync("/alarmed");
        Assert.Equal(("v2", due), (switched.GetProperty("version").GetString(), switched.GetProperty("alarm").GetInt64()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, switched.GetProperty("firedOn").ValueKind);
        Assert.Equal(1, (await worker.ObjectAsync("Thing", "alarmed")).ResetCount);

        // At 60 s the alarm fires, on v2's code.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(31));
        var fired = await worker.JsonAsync("/alarmed");
        Assert.Equal(("v2", "v2"), (fired.GetProperty("version").GetString(), fired.GetProperty("firedOn").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, fired.GetProperty("alarm").ValueKind);
    }
}
