using System.Text.Json;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Core.Tests;
using Simulator.Testing;
using Simulator.Workers;

namespace Simulator.Grains.Tests;

/// <summary>examples/chat: RPC, SQLite and an alarm; v2 adds a column and an RPC method, and a v2 Worker meets a v1 room mid-rollout.</summary>
[Collection(VirtualClockCollection.Name)]
public sealed class ChatExampleTests(VirtualClockFixture fixture)
{
    private static string Example(params string[] path) => Path.Combine([SharedFiles.RepositoryRoot, "examples", "chat", .. path]);

    private static VersionDraft Version(string folder) => WorkerProject.Load([Example(folder, "index.js")], Example("wrangler.toml")).Draft(folder);

    private async Task<(int Status, JsonElement Body)> Send(WorkerHandle worker, string method, string path, string? body = null, Guid? overrideVersion = null)
    {
        var headers = overrideVersion is { } v ? [new KeyValuePair<string, string>("Cloudflare-Workers-Version-Overrides", $"{worker.Name}=\"{v}\"")] : System.Collections.Immutable.ImmutableArray<KeyValuePair<string, string>>.Empty;
        var request = new WorkerRequest { Method = method, Url = $"https://{worker.Name}.localhost{path}", Headers = headers, Body = body is null ? null : System.Text.Encoding.UTF8.GetBytes(body) };
        var result = await fixture.Cluster.Client.GetGrain<IWorkerGrain>(worker.Name).Invoke(request);
        return (result.Response.Status, JsonDocument.Parse(result.Response.Text).RootElement.Clone());
    }

    [Fact]
    public async Task A_v2_worker_calling_a_v1_rooms_missing_method_gets_the_platforms_error_until_the_room_moves_to_v2()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var v1 = await worker.DeployAsync(Version("v1"));
        string[] rooms = ["foo", "bar", "baz", "qux"];
        foreach (var room in rooms)
        {
            var (status, posted) = await Send(worker, "POST", $"/rooms/{room}/messages?author=ann", $"hello {room}");
            Assert.Equal(201, status);
            Assert.Equal("v1", posted.GetProperty("version").GetString());
        }

        var v2 = await worker.UploadAsync(Version("v2"));
        await worker.DeployVersionsAsync((v2.Id, 50), (v1.Id, 50));
        var assigned = new Dictionary<string, Guid>();
        foreach (var room in rooms)
        {
            assigned[room] = await worker.AssignedVersionAsync(room, "ChatRoom");
        }

        var onV1 = rooms.First(r => assigned[r] == v1.Id);
        var onV2 = rooms.First(r => assigned[r] == v2.Id);

        // The v2 Worker (by override) asks a room still on v1 to like a message: v1 has no like().
        var (skewStatus, skew) = await Send(worker, "POST", $"/rooms/{onV1}/messages/1/like", overrideVersion: v2.Id);
        Assert.Equal(502, skewStatus);
        Assert.Equal("TypeError: The RPC receiver does not implement the method \"like\".", skew.GetProperty("error").GetString());
        Assert.True(skew.GetProperty("remote").GetBoolean());

        // A room on v2 has its new column (added to v1's table by v2's constructor) and likes.
        var (likeStatus, liked) = await Send(worker, "POST", $"/rooms/{onV2}/messages/1/like", overrideVersion: v2.Id);
        Assert.Equal(200, likeStatus);
        Assert.Equal(1, liked.GetProperty("likes").GetInt32());
        var (_, history) = await Send(worker, "GET", $"/rooms/{onV2}/messages");
        var message = Assert.Single(history.GetProperty("messages").EnumerateArray());
        Assert.Equal($"hello {onV2}", message.GetProperty("body").GetString());
        Assert.Equal(1, message.GetProperty("likes").GetInt32());

        // At 100% every room runs v2: the v1 room reset once, kept its messages, and likes too.
        await worker.DeployVersionsAsync((v2.Id, 100));
        var (status2, now) = await Send(worker, "POST", $"/rooms/{onV1}/messages/1/like", overrideVersion: v2.Id);
        Assert.Equal(200, status2);
        Assert.Equal("v2", now.GetProperty("version").GetString());
        Assert.Equal(1, (await worker.ObjectAsync("ChatRoom", onV1)).ResetCount);

        // A day and an hour later, the rooms' alarms have pruned every message.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromHours(25));
        foreach (var room in rooms)
        {
            var (_, pruned) = await Send(worker, "GET", $"/rooms/{room}/messages");
            Assert.Empty(pruned.GetProperty("messages").EnumerateArray());
        }

        var events = new List<TraceEvent>();
        await foreach (var e in worker.TailAsync(new TailFilter { Follow = false }))
        {
            events.Add(e);
        }

        Assert.Contains(events, e => e.EventType == "alarm" && e.Outcome == "ok" && e.Logs.Any(l => l.Message[0] == "pruned 1 messages (retry 0)"));
        Assert.Contains(events, e => e.EventType == "rpc" && e.Event.RpcMethod == "like" && e.Outcome == "exception" && e.ScriptVersion.Id == v1.Id);
    }
}
