using System.Text.Json;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>A reset ends a generation: nothing of the old code runs after it, and nothing it does reaches anyone.</summary>
[Collection(VirtualClockCollection.Name)]
public sealed class GenerationTests(VirtualClockFixture fixture)
{
    private static readonly string Config = JavaScriptWorkers.OneClassConfig("THING", "Thing");

    // /run?a=A&b=B&c=C: object A sets a timer that would mark C, then waits on B (which takes 5 s),
    // then marks C. /marks?c=C reads what C was told.
    private const string Code = """
        import { DurableObject } from "cloudflare:workers";
        export class Thing extends DurableObject {
          async run(b, c) {
            setTimeout(() => this.env.THING.getByName(c).mark(`timer of ${this.env.VERSION.tag}`), 1000);
            await this.env.THING.getByName(b).slow();
            await this.env.THING.getByName(c).mark(`after of ${this.env.VERSION.tag}`);
            return "done";
          }
          async slow() { await new Promise((resolve) => setTimeout(resolve, 5000)); return "slow"; }
          mark(what) { const marks = this.ctx.storage.kv.get("marks") ?? []; marks.push(what); this.ctx.storage.kv.put("marks", marks); }
          marks() { return this.ctx.storage.kv.get("marks") ?? []; }
        }
        export default {
          async fetch(request, env) {
            const q = new URL(request.url).searchParams;
            if (q.has("a")) {
              try { return Response.json({ result: await env.THING.getByName(q.get("a")).run(q.get("b"), q.get("c")) }); }
              catch (e) { return Response.json({ error: e.message, durableObjectReset: e.durableObjectReset ?? false }); }
            }
            return Response.json(await env.THING.getByName(q.get("c")).marks());
          },
        };
        """;

    [Fact]
    public async Task An_old_call_waiting_on_another_object_when_its_object_resets_makes_no_further_call_and_its_timers_never_fire()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var v1 = await worker.DeployAsync(JavaScriptWorkers.Draft("v1", Code, Config));
        var v2 = await worker.UploadAsync(JavaScriptWorkers.Draft("v2", Code, Config));

        // At v2@50%/v1@50%, A moves to v2 while B and C stay on v1.
        await worker.DeployVersionsAsync((v2.Id, 50), (v1.Id, 50));
        var names = Enumerable.Range(0, 64).Select(i => $"n{i}").ToList();
        var assigned = new Dictionary<string, Guid>();
        foreach (var name in names)
        {
            assigned[name] = await worker.AssignedVersionAsync(name, "Thing");
        }

        var a = names.First(n => assigned[n] == v2.Id);
        var (b, c) = (names.First(n => assigned[n] == v1.Id), names.Last(n => assigned[n] == v1.Id));
        await worker.DeployVersionsAsync((v1.Id, 100));

        // A (on v1) starts its call and waits on B; then the split moves A to v2: A resets.
        var call = worker.FetchAsync($"/?a={a}&b={b}&c={c}");
        await WaitUntilAsync(async () => (await worker.ObjectAsync("Thing", b)).RequestsSinceBuilt == 1, "B to be called");
        await worker.DeployVersionsAsync((v2.Id, 50), (v1.Id, 50));
        var failed = JsonDocument.Parse((await call).Response.Text).RootElement;
        Assert.Equal(DurableObjectResetException.PlatformMessage, failed.GetProperty("error").GetString());
        Assert.True(failed.GetProperty("durableObjectReset").GetBoolean());

        // B's wait ends and A's timer comes due: neither resumes v1's code of A.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(10));
        var marks = JsonDocument.Parse((await worker.FetchAsync($"/?c={c}")).Response.Text).RootElement;
        Assert.Empty(marks.EnumerateArray());
        Assert.Equal(1, (await worker.ObjectAsync("Thing", a)).ResetCount);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }
}
