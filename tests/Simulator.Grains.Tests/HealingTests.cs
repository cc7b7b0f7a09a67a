using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Storage;
using Simulator.Testing;

namespace Simulator.Grains.Tests;

/// <summary>
/// Faults the cluster heals from: a storage write that lost a race (to another activation), a push
/// of a deployment that never reached a silo, and a silo restarted with another deployable window.
/// Each test starts its own cluster.
/// </summary>
public sealed class HealingTests
{
    private static async Task<(DurableObjectsTestCluster Cluster, RivalWriteStorage Storage)> StartWithRivalsAsync()
    {
        var store = new SharedMemoryStore();
        RivalWriteStorage? storage = null;
        var cluster = await DurableObjectsTestCluster.StartAsync(
            1,
            o =>
            {
                TestScripts.Register(o);
                (o.SharedStore, o.UseMemoryStorage) = (null, false);
            },
            silo => silo.Services.AddGrainStorage(Hosting.DurableObjectsSimulatorOptions.StorageName, (sp, _) =>
                storage = new RivalWriteStorage(new SharedMemoryGrainStorage(store, sp.GetRequiredService<Serializer>()))));
        await cluster.Worker("warm-up", CodeUpdateStrategy.ImmediateUpdate).DeployAsync("hello");
        return (cluster, storage!);
    }

    [Theory]
    [InlineData("counter", "Counter")]
    [InlineData("guarded", "Guarded")]
    public async Task An_object_whose_write_lost_a_storage_race_fails_that_call_then_reads_the_winner_and_carries_on(string script, string className)
    {
        var (cluster, storage) = await StartWithRivalsAsync();
        await using var _ = cluster;
        var worker = cluster.Worker("raced-" + script, CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(script, "A");
        await worker.FetchAsync("/foo");
        await worker.FetchAsync("/foo");

        // Another activation of foo counted to 10 and wrote it while this one held 2.
        var key = DurableObjectKey.Format(worker.Name, className, DurableObjectId.FromName(className, "foo"));
        storage.Before<DurableObjectGrainState>("object", key, state => state.Storage["count"] = "10");
        if (script == "counter")
        {
            await Assert.ThrowsAsync<InconsistentStateException>(() => worker.FetchAsync("/foo"));
        }
        else
        {
            // This code catches the failure itself, so the call succeeds; the object must still heal.
            var lost = await worker.FetchAsync("/foo");
            Assert.Equal(503, lost.Response.Status);
            Assert.Contains("changed since it was read", lost.Response.Text, StringComparison.Ordinal);
        }

        // The next calls run on what storage holds, and their writes stick.
        foreach (var expected in new[] { 11, 12, 13 })
        {
            var next = await worker.FetchAsync("/foo");
            Assert.Equal(200, next.Response.Status);
            Assert.Contains(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), next.Response.Text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("new_classes", "object")]
    [InlineData("new_sqlite_classes", "sqlite")]
    public async Task A_write_the_store_refused_fails_its_call_and_nothing_it_held_in_memory_is_read_again(string migration, string stateName)
    {
        var (cluster, storage) = await StartWithRivalsAsync();
        await using var _ = cluster;
        var worker = cluster.Worker("refused-" + stateName, CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject {
              async fetch() {
                const sqlite = this.env.BACKEND === "sqlite";
                let n;
                if (sqlite) {
                  this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS c (n INTEGER)");
                  n = (this.ctx.storage.sql.exec("SELECT max(n) AS n FROM c").one().n ?? 0) + 1;
                  this.ctx.storage.sql.exec("INSERT INTO c VALUES (?)", n);
                } else {
                  n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
                  await this.ctx.storage.put("n", n);
                }
                return new Response(String(n));
              }
            }
            export default { fetch: (request, env) => env.COUNTER.getByName("foo").fetch(request) };
            """, $"""
            name = "refused"
            main = "index.js"
            [vars]
            BACKEND = "{stateName}"
            [[durable_objects.bindings]]
            name = "COUNTER"
            class_name = "Counter"
            [[migrations]]
            tag = "v1"
            {migration} = ["Counter"]
            """));
        Assert.Equal("1", (await worker.FetchAsync("/")).Response.Text);
        Assert.Equal("2", (await worker.FetchAsync("/")).Response.Text);

        // The third count is made in memory, then its write is refused: the call fails.
        var key = DurableObjectKey.Format(worker.Name, "Counter", DurableObjectId.FromName("Counter", "foo"));
        storage.FailNext(stateName, key);
        var refused = await worker.FetchAsync("/");
        Assert.Equal(500, refused.Response.Status);
        Assert.Contains("The store refused the write", refused.Error, StringComparison.Ordinal);

        // The next call starts from storage (2), never from the 3 that was not stored; its write sticks.
        Assert.Equal("3", (await worker.FetchAsync("/")).Response.Text);
        Assert.Equal("4", (await worker.FetchAsync("/")).Response.Text);
        Assert.Equal(0, (await worker.ObjectAsync("Counter", "foo")).ResetCount);
    }

    [Fact]
    public async Task A_sqlite_backed_object_that_used_only_the_kv_api_stores_its_entries_and_they_move_into_its_database_when_sql_is_first_used()
    {
        var (cluster, storage) = await StartWithRivalsAsync();
        await using var _ = cluster;
        var worker = cluster.Worker("lazy-sqlite", CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            import { DurableObject } from "cloudflare:workers";
            export class Counter extends DurableObject {
              async fetch(request) {
                const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
                await this.ctx.storage.put("n", n);
                if (new URL(request.url).pathname === "/sql") {
                  this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (x INTEGER)");
                  this.ctx.storage.sql.exec("INSERT INTO t VALUES (?)", n);
                  return Response.json({ n, rows: this.ctx.storage.sql.exec("SELECT count(*) AS c FROM t").one().c });
                }
                return Response.json({ n });
              }
            }
            export default { fetch: (request, env) => env.COUNTER.getByName("foo").fetch(request) };
            """, JavaScriptWorkers.OneClassConfig("COUNTER", "Counter")));
        var key = DurableObjectKey.Format(worker.Name, "Counter", DurableObjectId.FromName("Counter", "foo"));
        async Task<string> Send(string path) => (await worker.FetchAsync(path)).Response.Text;
        (bool HasImage, int? Entries) stored = default;
        void Capture() => storage.OnNextWrite<SqliteImageState>("sqlite", key, s => stored = (s.Image is not null, s.Entries?.Count));

        // Only the KV API: no database, the entries are stored as they are.
        Assert.Equal("""{"n":1}""", await Send("/"));
        Capture();
        Assert.Equal("""{"n":2}""", await Send("/"));
        Assert.Equal((false, 1), stored);

        // Read back from storage (a refused write makes the next call start from it).
        storage.FailNext("sqlite", key);
        Assert.Equal(500, (await worker.FetchAsync("/")).Response.Status);
        Assert.Equal("""{"n":3}""", await Send("/"));

        // The first SQL use opens the database with the entries in it; from then on its image is stored.
        Capture();
        Assert.Equal("""{"n":4,"rows":1}""", await Send("/sql"));
        Assert.Equal((true, (int?)null), stored);
        storage.FailNext("sqlite", key);
        Assert.Equal(500, (await worker.FetchAsync("/")).Response.Status);
        Assert.Equal("""{"n":5}""", await Send("/"));
        Assert.Equal("""{"n":6,"rows":2}""", await Send("/sql"));
    }

    [Fact]
    public async Task A_deploy_that_lost_a_storage_race_decides_again_on_what_the_winner_wrote()
    {
        var (cluster, storage) = await StartWithRivalsAsync();
        await using var _ = cluster;
        var worker = cluster.Worker("raced-deploys", CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("hello", "A");
        var b = await worker.UploadAsync("hello", "B");
        var first = (await worker.HistoryAsync()).CurrentDeployment!.Id;

        // A rival deploys B at 100% just before our B50/A50 is written: ours goes on top of it.
        var now = DateTimeOffset.UtcNow;
        storage.Before<DeploymentGrainState>("worker", worker.Name, s => s.History = s.History!.DeployVersions([new(b.Id, 100)], "rival", now));
        var ours = await worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50));
        var history = await worker.HistoryAsync();
        Assert.Equal(["rival", null], history.Deployments.Skip(1).Select(d => d.Message));
        Assert.Equal(ours.Deployment, history.CurrentDeployment);

        // One that expected the deployment the rival replaced is a conflict, and changes nothing.
        storage.Before<DeploymentGrainState>("worker", worker.Name, s => s.History = s.History!.DeployVersions([new(a.Id, 100)], "rival 2", now));
        var current = history.CurrentDeployment!.Id;
        var refused = await Assert.ThrowsAsync<RuleRefusedException>(() =>
            cluster.Client.GetGrain<IDeploymentGrain>(worker.Name).DeployVersions([new(b.Id, 100)], "stale", current, null));
        Assert.Equal(RuleError.DeploymentConflict, refused.Code);
        history = await worker.HistoryAsync();
        Assert.Equal("rival 2", history.CurrentDeployment!.Message);
        Assert.NotEqual(first, history.CurrentDeployment.Id);
    }

    // Drops the next push of a deployment to one silo, as a timed-out call would.
    private static string? _dropNextPushTo;

    [Fact]
    public async Task A_silo_that_missed_a_push_catches_up_within_the_resync_interval_with_the_previewed_resets()
    {
        var interval = TimeSpan.FromSeconds(2);
        await using var cluster = await DurableObjectsTestCluster.StartAsync(
            2,
            o => o.ResyncInterval = interval,
            silo => silo.AddIncomingGrainCallFilter(async context =>
            {
                var armed = _dropNextPushTo;
                if (armed is not null && context.InterfaceMethod.Name == nameof(IDeploymentAgentGrain.Apply)
                    && context.TargetId.Key.ToString() == armed
                    && ReferenceEquals(Interlocked.CompareExchange(ref _dropNextPushTo, null, armed), armed))
                {
                    throw new TimeoutException("the test dropped this push");
                }

                await context.Invoke();
            }));
        var worker = cluster.Worker("missed", CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        var names = Enumerable.Range(0, 40).Select(i => "o" + i).ToList();
        foreach (var name in names)
        {
            await worker.FetchAsync("/" + name);
        }

        var behind = cluster.Cluster.Silos[1];
        var behindKey = behind.SiloAddress.ToParsableString();
        var onBehind = behind.ServiceProvider.GetRequiredService<ActiveObjects>().KeysOf(worker.Name).Select(o => DurableObjectKey.Parse(o.Key).ObjectId).ToHashSet();
        var before = (await worker.HistoryAsync()).CurrentDeployment!;
        _dropNextPushTo = behindKey;
        var result = await worker.DeployVersionsAsync((b.Id, 50), (a.Id, 50));

        // Saved, applied on one silo, reported missing on the other: not an exception.
        var missed = Assert.Single(result.Propagation.Missed);
        Assert.Equal(behindKey, missed.Silo);
        Assert.Contains("the test dropped this push", missed.Reason, StringComparison.Ordinal);
        Assert.Equal(cluster.Cluster.Silos[0].SiloAddress.ToParsableString(), Assert.Single(result.Propagation.Applied).Silo);
        Assert.Equal(interval, result.Propagation.ResyncInterval);

        var predicted = ChurnPreview.Compute(before, result.Deployment).ChangedObjects(names.Select(n => DurableObjectId.FromName("Counter", n))).Select(c => c.ObjectId).ToHashSet();
        Assert.Contains(predicted, onBehind.Contains);
        var ranges = VersionRanges.From(result.Deployment);
        var statuses = await Core.Tests.Eventually.Until(
            "every object on its assigned version with the previewed resets",
            3 * interval,
            () => Task.WhenAll(names.Select(n => worker.ObjectAsync("Counter", n))),
            all => all.All(s => s.VersionId == ranges.VersionFor(s.ObjectId) && s.ResetCount == (predicted.Contains(s.ObjectId) ? 1 : 0)));
        Assert.Equal(predicted.Count, statuses.Sum(s => s.ResetCount));
        Assert.All(statuses, s => Assert.True(s.IsActive));
    }

    [Fact]
    public async Task The_configured_deployable_window_applies_to_every_worker_whoever_created_it()
    {
        var store = new SharedMemoryStore();
        Guid first;
        await using (var wide = await DurableObjectsTestCluster.StartAsync(1, o => (o.SharedStore, o.DeployableWindow) = (store, 100)))
        {
            var worker = wide.Worker("windowed", CodeUpdateStrategy.ImmediateUpdate);
            first = (await worker.DeployAsync("hello", "v1")).Id;
            for (var i = 2; i <= 5; i++)
            {
                await worker.UploadAsync("hello", "v" + i);
            }

            await worker.DeployVersionsAsync((first, 100));
        }

        // The same stored Worker on a silo configured with a window of 2: version 1 is out of it now.
        await using var narrow = await DurableObjectsTestCluster.StartAsync(1, o => (o.SharedStore, o.DeployableWindow) = (store, 2));
        var again = narrow.Worker("windowed", CodeUpdateStrategy.ImmediateUpdate);
        var refused = await Assert.ThrowsAsync<RuleRefusedException>(() => again.DeployVersionsAsync((first, 100)));
        Assert.Equal(RuleError.OutsideDeployableWindow, refused.Code);
        Assert.Contains("last 2 versions", refused.Message, StringComparison.Ordinal);
        Assert.Equal(RuleError.OutsideDeployableWindow, (await Assert.ThrowsAsync<RuleRefusedException>(() => again.RollbackAsync(first))).Code);
    }
}
