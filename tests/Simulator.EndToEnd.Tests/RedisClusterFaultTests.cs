using System.Globalization;
using System.Text.Json;
using Simulator.Core;

namespace Simulator.EndToEnd.Tests;

/// <summary>Faults on the loopback topology with Redis: a silo killed mid-rollout, Redis restarted, deploys racing.</summary>
public sealed class RedisClusterFaultTests(LoopbackCluster cluster) : IClassFixture<LoopbackCluster>
{
    private static readonly string[] Names = [.. Enumerable.Range(0, 60).Select(i => "o" + i)];

    [Fact]
    public async Task Alarms_set_before_a_silo_is_killed_each_fire_exactly_once()
    {
        const string worker = "alarmed";
        var code = Directory.CreateTempSubdirectory("dosim-alarmed-").FullName;
        await File.WriteAllTextAsync(Path.Combine(code, "index.js"), """
            import { DurableObject } from "cloudflare:workers";
            export class Room extends DurableObject {
              async alarm() { await this.ctx.storage.put("fired", ((await this.ctx.storage.get("fired")) ?? 0) + 1); }
              async fetch(request) {
                const ms = new URL(request.url).searchParams.get("ms");
                if (ms) await this.ctx.storage.setAlarm(Date.now() + Number(ms));
                return new Response(`${(await this.ctx.storage.get("fired")) ?? 0}/${await this.ctx.storage.getAlarm()}`);
              }
            }
            export default { fetch: (request, env) => env.ROOM.getByName(new URL(request.url).pathname).fetch(request) };
            """);
        await File.WriteAllTextAsync(Path.Combine(code, "wrangler.toml"), "name = \"alarmed\"\nmain = \"index.js\"\n[[durable_objects.bindings]]\nname = \"ROOM\"\nclass_name = \"Room\"\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Room\"]\n");
        await cluster.CliOkAsync("deploy", "--name", worker, "--module", Path.Combine(code, "index.js"), "--config", Path.Combine(code, "wrangler.toml"));

        // Alarms due in 6 s on objects across the silos, then silo 3 dies without a word: the alarm
        // index partitions and objects it held come back on the others, from Redis.
        var rooms = Enumerable.Range(0, 20).Select(i => "/room" + i).ToList();
        for (var i = 0; i < rooms.Count; i++)
        {
            Assert.StartsWith("0/", await cluster.TextAsync(worker, rooms[i] + "?ms=6000", 1 + (i % 3)), StringComparison.Ordinal);
        }

        await cluster.ScriptAsync("kill", "3");
        try
        {
            foreach (var room in rooms)
            {
                // Once, and done: no alarm is left set that could fire it again.
                var fired = await Core.Tests.Eventually.Until($"the alarm of {room} to fire", TimeSpan.FromSeconds(90), () => cluster.TextAsync(worker, room, 1), text => !text.StartsWith("0/", StringComparison.Ordinal), TimeSpan.FromMilliseconds(500), cluster.Logs);
                Assert.Equal("1/null", fired);
            }
        }
        finally
        {
            await cluster.ScriptAsync("start", "3");
        }
    }

    [Fact]
    public async Task A_silo_killed_mid_rollout_then_restarted_loses_no_deployment_and_no_acknowledged_write_and_resets_as_previewed()
    {
        const string worker = "faults";
        await cluster.CliOkAsync("deploy", "--name", worker, "--script", "counter", "--tag", "A");
        var b = Guid.Parse((await cluster.CliOkAsync("versions", "upload", "--name", worker, "--script", "counter", "--tag", "B")).Trim().Split(' ')[^1]);
        var a = Guid.Parse((await cluster.CliJsonAsync("versions", "view", "A", "--name", worker)).GetProperty("id").GetString()!);
        string[][] steps = [["A@100%"], ["B@20%", "A@80%"], ["B@50%", "A@50%"], ["B@100%"]];
        var acknowledged = Names.ToDictionary(n => n, _ => 0);
        var onB = new HashSet<string>();
        var live = new List<int> { 1, 2, 3 };
        for (var step = 0; step < steps.Length; step++)
        {
            if (step > 0)
            {
                await DeployAsync(worker, steps[step]);
            }

            var ranges = VersionRanges.From(Shares(steps[step], a, b));
            for (var i = 0; i < Names.Length; i++)
            {
                var name = Names[i];
                var answer = await cluster.CountAsync(worker, name, live[i % live.Count]);
                Assert.Equal(ranges.VersionFor(DurableObjectId.FromName("Counter", name)).ToString(), answer.Version);

                // A write acknowledged before the fault is still there; one that failed may or may not be.
                Assert.True(answer.Durable > acknowledged[name], $"{name} answered {answer.Durable} after {acknowledged[name]} was acknowledged");
                acknowledged[name] = answer.Durable;
                if (answer.Version == b.ToString())
                {
                    onB.Add(name);
                }
                else
                {
                    Assert.DoesNotContain(name, onB);
                }

                if (step == 1 && i == Names.Length / 2)
                {
                    // Mid-rollout, with half the objects touched at this step: silo 2 dies without a word.
                    await cluster.ScriptAsync("kill", "2");
                    live.Remove(2);
                }
            }

            if (step == 2)
            {
                await cluster.ScriptAsync("start", "2");
                live.Add(2);
            }
        }

        // Oldest first, as wrangler lists them.
        var deployments = (await cluster.CliJsonAsync("deployments", "list", "--name", worker)).EnumerateArray().ToList();
        Assert.Equal(steps.Select(s => string.Join(' ', s)), deployments.Select(d => Describe(d, a, b)));

        // Each object reset exactly as often as the churn preview of each step said it would.
        var expected = Names.ToDictionary(n => DurableObjectId.FromName("Counter", n), _ => 0);
        for (var step = 1; step < steps.Length; step++)
        {
            foreach (var change in ChurnPreview.Compute(Deployment(steps[step - 1], a, b), Deployment(steps[step], a, b)).ChangedObjects(expected.Keys.ToList()))
            {
                expected[change.ObjectId]++;
            }
        }

        // The object index is written behind the objects' calls (and re-sent after a silo's loss):
        // it catches up within seconds.
        var objects = await Core.Tests.Eventually.Until(
            "the object index to hold every object's resets",
            TimeSpan.FromSeconds(30),
            async () => (await cluster.CliJsonAsync("objects", "--name", worker)).EnumerateArray().ToDictionary(o => o.GetProperty("id").GetString()!, o => o.GetProperty("resets").GetInt32()),
            seen => seen.OrderBy(o => o.Key).SequenceEqual(expected.OrderBy(e => e.Key)),
            TimeSpan.FromMilliseconds(500));
        Assert.Equal(expected.OrderBy(e => e.Key), objects.OrderBy(o => o.Key));
        Assert.Equal(Names.Length, onB.Count);
    }

    [Fact]
    public async Task After_Redis_restarts_the_cluster_recovers_and_what_Redis_persisted_is_intact()
    {
        const string worker = "redis-restart";
        await cluster.CliOkAsync("deploy", "--name", worker, "--script", "counter", "--tag", "A");
        var acknowledged = new Dictionary<string, int>();
        foreach (var name in Names.Take(20))
        {
            acknowledged[name] = (await cluster.CountAsync(worker, name, 1)).Durable;
            acknowledged[name] = (await cluster.CountAsync(worker, name, 2)).Durable;
        }

        await cluster.ScriptAsync("restart-redis");
        foreach (var (name, count) in acknowledged)
        {
            Assert.Equal(count + 1, (await cluster.CountAsync(worker, name, 3)).Durable);
            acknowledged[name] = count + 1;
        }

        // Each silo in turn dies and comes back: no activation is left, so all that is read next comes from Redis.
        foreach (var silo in new[] { "1", "2", "3" })
        {
            await cluster.ScriptAsync("kill", silo);
            await cluster.ScriptAsync("start", silo);
        }

        foreach (var (name, count) in acknowledged)
        {
            Assert.Equal(count + 1, (await cluster.CountAsync(worker, name, 1)).Durable);
        }

        var deployments = await cluster.CliJsonAsync("deployments", "list", "--name", worker);
        Assert.Equal(1, deployments.GetArrayLength());
    }

    [Fact]
    public async Task Of_two_concurrent_deploys_one_wins_and_the_other_gets_the_conflict_error()
    {
        const string worker = "race";
        await cluster.CliOkAsync("deploy", "--name", worker, "--script", "hello", "--tag", "A");
        await cluster.CliOkAsync("versions", "upload", "--name", worker, "--script", "hello", "--tag", "B");
        var (a, b) = (await VersionId(worker, "A"), await VersionId(worker, "B"));
        var current = (await cluster.CliJsonAsync("deployments", "status", "--name", worker)).GetProperty("id").GetString()!;

        // Two clients, each through its own gateway, both replacing the same deployment.
        string[][] proposals = [[$"{b}@30%", $"{a}@70%"], [$"{b}@60%", $"{a}@40%"]];
        var results = await Task.WhenAll(proposals.Select((p, i) => Run.ProcessAsync(
            "dotnet",
            [Build.CliDll, "versions", "deploy", .. p, "--expect", current, "-y", "--name", worker, "--cluster", cluster.Gateways.Split(',')[i]],
            new Dictionary<string, string>())));

        Assert.Equal([0, 3], results.Select(r => r.ExitCode).Order());
        var winner = Array.FindIndex(results, r => r.ExitCode == 0);
        Assert.Contains("another deploy got there first", results[1 - winner].Stderr, StringComparison.Ordinal);
        var deployments = (await cluster.CliJsonAsync("deployments", "list", "--name", worker)).EnumerateArray().ToList();
        Assert.Equal(2, deployments.Count);
        Assert.Equal(current, deployments[0].GetProperty("id").GetString());
        Assert.Equal(
            proposals[winner].Select(p => p.Replace("%", "", StringComparison.Ordinal)),
            deployments[1].GetProperty("versions").EnumerateArray().Select(v => $"{v.GetProperty("version_id").GetString()}@{v.GetProperty("percentage").GetDecimal()}"));
    }

    [Fact]
    public async Task Analytics_add_up_the_requests_of_every_silo_exactly()
    {
        const string worker = "counted";
        await cluster.CliOkAsync("deploy", "--name", worker, "--script", "hello", "--tag", "A");
        await cluster.CliOkAsync("versions", "upload", "--name", worker, "--script", "hello", "--tag", "B");
        await cluster.CliOkAsync("versions", "deploy", "--name", worker, "B@30%", "A@70%", "-y");

        // Through all three gateways: each silo counts what its gateway ran.
        var sent = new Dictionary<Guid, int>();
        for (var i = 0; i < 90; i++)
        {
            var (status, version) = await cluster.GetAsync(worker, "/", 1 + (i % 3));
            Assert.Equal(200, status);
            sent[version] = sent.GetValueOrDefault(version) + 1;
        }

        var current = (await cluster.CliJsonAsync("analytics", "--worker", worker)).GetProperty("deployments")[0];
        Assert.Equal(90, current.GetProperty("requests").GetInt64());
        Assert.Equal(
            sent.OrderBy(s => s.Key).Select(s => (s.Key, (long)s.Value)),
            current.GetProperty("versions").EnumerateArray().Select(v => (v.GetProperty("versionId").GetGuid(), v.GetProperty("requests").GetInt64())).Where(v => v.Item2 > 0).OrderBy(v => v.Item1));
    }

    private async Task<string> VersionId(string worker, string tag) =>
        (await cluster.CliJsonAsync("versions", "view", tag, "--name", worker)).GetProperty("id").GetString()!;

    /// <summary>
    /// Deploys, retrying while a dead silo is not yet declared dead. Each attempt expects the
    /// deployment before it, so a retry whose first attempt landed sees the conflict instead of deploying twice.
    /// </summary>
    private async Task DeployAsync(string worker, string[] step)
    {
        var before = (await cluster.CliJsonAsync("deployments", "status", "--name", worker)).GetProperty("id").GetString()!;
        // Retried only while the cluster is unreachable (exit 4); --expect makes a retry deploy at most once.
        await Core.Tests.Eventually.Until(
            $"deploy {string.Join(' ', step)} to go through",
            TimeSpan.FromSeconds(90),
            async () =>
            {
                var result = await cluster.CliAsync(["versions", "deploy", .. step, "--expect", before, "-y", "--name", worker, "--code-update", "immediate"]);
                var done = result.ExitCode == 0 || (result.ExitCode == 3 && await CurrentIs(worker, step));
                Assert.True(done || result.ExitCode == 4, $"deploy {string.Join(' ', step)}: {result}\n{cluster.Logs()}");
                return (done, result);
            },
            attempt => attempt.done,
            TimeSpan.FromMilliseconds(500),
            cluster.Logs);
    }

    private async Task<bool> CurrentIs(string worker, string[] step)
    {
        var history = await cluster.CliJsonAsync("deployments", "list", "--name", worker);
        var a = await VersionId(worker, "A");
        var b = await VersionId(worker, "B");
        return Describe(history.EnumerateArray().Last(), Guid.Parse(a), Guid.Parse(b)) == string.Join(' ', step);
    }

    private static string Describe(JsonElement deployment, Guid a, Guid b) => string.Join(' ', deployment.GetProperty("versions").EnumerateArray().Select(v =>
        $"{(Guid.Parse(v.GetProperty("version_id").GetString()!) == a ? "A" : Guid.Parse(v.GetProperty("version_id").GetString()!) == b ? "B" : "?")}@{v.GetProperty("percentage").GetDecimal().ToString(CultureInfo.InvariantCulture)}%"));

    private static VersionShare[] Shares(string[] step, Guid a, Guid b) =>
        [.. step.Select(s => new VersionShare(s[0] == 'A' ? a : b, decimal.Parse(s[2..^1], CultureInfo.InvariantCulture)))];

    private static Deployment Deployment(string[] step, Guid a, Guid b) => new()
    {
        Id = Guid.NewGuid(),
        CreatedOn = DateTimeOffset.UnixEpoch,
        Source = DeploymentSource.VersionsDeploy,
        Versions = [.. Shares(step, a, b)],
    };
}
