using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>
/// The version skew matrix: every call to an object is counted under the caller's version and the
/// version the object ran, and its trace event names the caller; on the virtual clock, so deferred
/// objects stay on their old code for the whole test.
/// </summary>
[Collection(VirtualClockCollection.Name)]
public sealed class SkewMatrixTests(VirtualClockFixture fixture)
{
    private static readonly string Config = JavaScriptWorkers.OneClassConfig("THING", "Thing", sqlite: false);

    // An object answers with its version, after asking the object named in ?next= for its own.
    private const string Chain = """
        import { DurableObject } from "cloudflare:workers";
        export class Thing extends DurableObject {
          async fetch(request) {
            const next = new URL(request.url).searchParams.get("next");
            const inner = next ? await (await this.env.THING.getByName(next).fetch("https://thing/")).json() : null;
            return Response.json({ version: this.env.VERSION.tag, next: inner });
          }
        }
        export default { fetch: (request, env) => env.THING.getByName(new URL(request.url).pathname.slice(1)).fetch(request) };
        """;

    [Fact]
    public async Task A_b20_a80_rollout_counts_each_pair_of_worker_and_object_version_as_the_client_saw_it()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.Parse("deferred=300s"));
        var a = await worker.DeployAsync("counter", tag: "A");
        var b = await worker.UploadAsync("counter", tag: "B");
        var objects = Enumerable.Range(0, 30).Select(i => "o" + i).ToArray();
        foreach (var name in objects)
        {
            await worker.FetchAsync("/" + name);
        }

        // Deferred: every object stays on A while the Worker already runs B for a fifth of requests.
        var split = await worker.DeployVersionsAsync((b.Id, 20), (a.Id, 80));
        var seen = new Dictionary<(Guid Worker, Guid Object), long>();
        for (var i = 0; i < 300; i++)
        {
            var result = await worker.FetchAsync("/" + objects[i % objects.Length]);
            var pair = (result.VersionId, result.DurableObjectVersionId!.Value);
            seen[pair] = seen.GetValueOrDefault(pair) + 1;
        }

        var analytics = await worker.AnalyticsAsync();
        var cells = analytics.Skew.Where(c => c.ClassName == "Counter" && c.DeploymentId == split.Deployment.Id).ToList();
        Assert.Equal(seen.OrderBy(p => p.Key).ToList(), cells.Select(c => KeyValuePair.Create((c.CallerVersionId, c.ObjectVersionId), c.Requests)).OrderBy(p => p.Key).ToList());
        Assert.Contains(cells, c => c.Skewed && c.CallerVersionId == b.Id && c.ObjectVersionId == a.Id && c.Requests > 0);
        Assert.All(cells, c => Assert.Equal(0, c.Errors));

        // The first deployment's calls are its own cells: the matrix shows the rollout over time.
        var first = analytics.Skew.Single(c => c.DeploymentId != split.Deployment.Id);
        Assert.Equal((a.Id, a.Id, (long)objects.Length), (first.CallerVersionId, first.ObjectVersionId, first.Requests));

        // Each object event of the split names the Worker version that called it.
        var events = new List<TraceEvent>();
        await foreach (var e in worker.TailAsync(new TailFilter { Follow = false }))
        {
            events.Add(e);
        }

        var objectEvents = events.Where(e => e.Entrypoint == "Counter").ToList();
        Assert.Equal(objects.Length + 300, objectEvents.Count);
        Assert.All(objectEvents, e => Assert.NotNull(e.CallerScriptVersion));
        Assert.Equal(seen.Where(p => p.Key.Worker == b.Id).Sum(p => p.Value), objectEvents.Count(e => e.CallerScriptVersion!.Id == b.Id));
        Assert.Equal("B", objectEvents.First(e => e.CallerScriptVersion!.Id == b.Id).CallerScriptVersion!.Tag);
        Assert.All(events.Where(e => e.Entrypoint is null), e => Assert.Null(e.CallerScriptVersion));
    }

    [Fact]
    public async Task An_object_calling_another_is_the_caller_with_its_own_version_not_the_workers()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.Parse("deferred=300s"));
        await worker.DeployAsync(JavaScriptWorkers.Draft("v1", Chain, Config));
        var v1 = (await worker.HistoryAsync()).Versions[0].Id;
        Assert.Equal("v1", (await worker.JsonAsync("/first")).GetProperty("version").GetString());

        // "first" is busy on v1 (deferred); "second" has never run, so it starts on v2.
        var v2 = (await worker.DeployAsync(JavaScriptWorkers.Draft("v2", Chain, Config))).Id;
        var body = await worker.JsonAsync("/first?next=second");
        Assert.Equal(("v1", "v2"), (body.GetProperty("version").GetString(), body.GetProperty("next").GetProperty("version").GetString()));

        var current = (await worker.HistoryAsync()).CurrentDeployment!.Id;
        var cells = (await worker.AnalyticsAsync()).Skew.Where(c => c.DeploymentId == current).ToList();
        Assert.Equal(
            [(v2, v1, 1L), (v1, v2, 1L)],
            cells.Select(c => (c.CallerVersionId, c.ObjectVersionId, c.Requests)).OrderBy(c => c.Item1 == v2 ? 0 : 1).ToList());
    }

    // A room that, for each message on its hibernatable socket, asks the object named in it for its version.
    private const string Room = """
        import { DurableObject } from "cloudflare:workers";
        export class Thing extends DurableObject {
          async fetch(request) {
            if (request.headers.get("Upgrade") === "websocket") {
              const pair = new WebSocketPair();
              this.ctx.acceptWebSocket(pair[1]);
              return new Response(null, { status: 101, webSocket: pair[0] });
            }
            return Response.json({ version: this.env.VERSION.tag });
          }
          async webSocketMessage(ws, message) {
            const other = await (await this.env.THING.getByName(String(message)).fetch("https://thing/")).json();
            ws.send(`${this.env.VERSION.tag}->${other.version}`);
          }
        }
        export default { fetch: (request, env) => env.THING.getByName(new URL(request.url).pathname.slice(1)).fetch(request) };
        """;

    [Fact]
    public async Task A_socket_handler_calling_another_object_is_counted_under_its_objects_version()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.Parse("deferred=300s"));
        await worker.DeployAsync(JavaScriptWorkers.Draft("v1", Room, Config));
        await using var gateway = await SocketGateway.StartAsync(fixture.Cluster.Client);
        using var socket = await gateway.ConnectAsync(worker.Name, "/room");

        // The room keeps v1 (deferred); "other" has never run, so it starts on v2.
        var v1 = (await worker.HistoryAsync()).Versions[0].Id;
        var v2 = (await worker.DeployAsync(JavaScriptWorkers.Draft("v2", Room, Config))).Id;
        await SocketGateway.SendAsync(socket, "other");
        Assert.Equal("v1->v2", await SocketGateway.ReceiveAsync(socket));

        var current = (await worker.HistoryAsync()).CurrentDeployment!.Id;
        var cell = Assert.Single((await worker.AnalyticsAsync()).Skew, c => c.DeploymentId == current);
        Assert.Equal((v1, v2, 1L), (cell.CallerVersionId, cell.ObjectVersionId, cell.Requests));
    }
}
