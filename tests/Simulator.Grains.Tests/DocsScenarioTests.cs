using System.Text.Json;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>The docs' rollout A100 → B20/A80 → B50/A50 → B100, through real grains.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DocsScenarioTests(ClusterFixture fixture)
{
    [Fact]
    public Task Foo_bar_and_baz_follow_the_docs_table_and_reset_exactly_once() =>
        Rollout(RolloutTable.DocsObjects, expectTable: true);

    [Fact]
    public Task A_thousand_objects_each_reset_exactly_once() =>
        Rollout([.. Enumerable.Range(0, 1000).Select(i => "object-" + i)], expectTable: false);

    // Every real Durable Object Worker starts with a migration (new_classes): once applied by the
    // plain deploy, later versions of the same code split like any other.
    [Fact]
    public Task The_docs_rollout_works_on_a_worker_whose_first_version_applied_a_migration() =>
        Rollout(RolloutTable.DocsObjects, expectTable: true, migrationTag: "v1");

    // The user's own Worker: two versions of a JavaScript counter (its config applies migration v1).
    [Fact]
    public Task The_docs_rollout_of_two_javascript_versions_gives_the_same_table_and_one_reset_each() =>
        Rollout(RolloutTable.DocsObjects, expectTable: true, migrationTag: "v1", javaScript: true);

    // The way people write Durable Objects today: the counter called over JS RPC, counting in SQLite.
    [Fact]
    public Task The_docs_rollout_of_an_rpc_and_sqlite_worker_gives_the_same_table_and_one_reset_each() =>
        Rollout(RolloutTable.DocsObjects, expectTable: true, migrationTag: "v1", javaScript: true, code: JavaScriptWorkers.RpcSqliteCounter, config: JavaScriptWorkers.SqliteCounterConfig);

    private async Task Rollout(IReadOnlyList<string> names, bool expectTable, string? migrationTag = null, bool javaScript = false, string code = JavaScriptWorkers.Counter, string config = JavaScriptWorkers.CounterConfig)
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = javaScript ? await worker.DeployAsync(JavaScriptWorkers.Draft("A", code, config)) : await worker.DeployAsync("counter", "A", migrationTag: migrationTag);
        var b = javaScript ? await worker.UploadAsync(JavaScriptWorkers.Draft("B", code, config)) : await worker.UploadAsync("counter", "B", migrationTag: migrationTag);
        Assert.Equal(migrationTag, (await worker.HistoryAsync()).MigrationTag);
        (Guid, decimal)[][] steps = [[(a.Id, 100)], [(b.Id, 20), (a.Id, 80)], [(b.Id, 50), (a.Id, 50)], [(b.Id, 100)]];
        string[][] docsTable = [["A", "A", "A"], ["B", "A", "A"], ["B", "B", "A"], ["B", "B", "B"]];
        var durable = names.ToDictionary(n => n, _ => 0);
        var lastVersion = new Dictionary<string, Guid>();

        for (var step = 0; step < steps.Length; step++)
        {
            if (step > 0)
            {
                await worker.DeployVersionsAsync(steps[step]);
            }

            var ranges = VersionRanges.From([.. steps[step].Select(s => new VersionShare(s.Item1, s.Item2))]);
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, _) =>
            {
                var result = await worker.FetchAsync("/" + name);
                Assert.Equal(200, result.Response.Status);
                var expected = ranges.VersionFor(DurableObjectId.FromName("Counter", name));
                Assert.Equal(expected, result.DurableObjectVersionId);
                var body = JsonDocument.Parse(result.Response.Text).RootElement;
                lock (durable)
                {
                    durable[name]++;
                    Assert.Equal(durable[name], body.GetProperty("durable").GetInt32());
                    // In memory the count restarts when the object resets.
                    var changed = lastVersion.TryGetValue(name, out var last) && last != expected;
                    Assert.True(!changed || body.GetProperty("inMemory").GetInt32() == 1, $"{name}: the in-memory count did not restart after its reset");
                    lastVersion[name] = expected;
                }
            });

            if (expectTable)
            {
                var row = new List<string>();
                foreach (var name in names)
                {
                    row.Add((await worker.ObjectAsync("Counter", name)).VersionId == a.Id ? "A" : "B");
                }

                Assert.Equal(docsTable[step], row);
            }
        }

        foreach (var name in names)
        {
            var status = await worker.ObjectAsync("Counter", name);
            Assert.Equal(b.Id, status.VersionId);
            Assert.Equal(1, status.ResetCount);
            var reset = Assert.Single(status.Resets);
            Assert.Equal((a.Id, b.Id, true), (reset.FromVersion, reset.ToVersion, reset.WasActive));
        }
    }
}
