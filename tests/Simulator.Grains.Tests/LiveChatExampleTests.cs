using System.Net.WebSockets;
using System.Text.Json;
using Simulator.Core.Tests;
using Simulator.Workers;

namespace Simulator.Grains.Tests;

/// <summary>examples/live-chat: its page from the version's assets, a room per object with SQL history, broadcast, a late joiner, and hibernation.</summary>
[Collection(VirtualClockCollection.Name)]
public sealed class LiveChatExampleTests(VirtualClockFixture fixture) : IAsyncLifetime
{
    private static readonly string Config = Path.Combine(SharedFiles.RepositoryRoot, "examples", "live-chat", "wrangler.toml");

    private SocketGateway? _gateway;

    public async Task InitializeAsync() => _gateway = await SocketGateway.StartAsync(fixture.Cluster.Client);

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }

    private static async Task<JsonElement> NextAsync(ClientWebSocket socket) => JsonDocument.Parse(await SocketGateway.ReceiveAsync(socket)).RootElement.Clone();

    [Fact]
    public async Task Two_clients_chat_a_late_joiner_gets_the_history_and_the_room_keeps_it_through_hibernation()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(WorkerProject.Load([], Config).Draft("v1"));

        var page = await worker.FetchAsync("/");
        Assert.Equal(200, page.Response.Status);
        Assert.Contains("live chat", page.Response.Text, StringComparison.Ordinal);
        Assert.Equal(426, (await worker.FetchAsync("/rooms/lobby/ws")).Response.Status);

        using var ann = await _gateway!.ConnectAsync(worker.Name, "/rooms/lobby/ws?name=ann");
        var welcome = await NextAsync(ann);
        Assert.Equal("v1", welcome.GetProperty("version").GetString());
        Assert.Equal(0, welcome.GetProperty("history").GetArrayLength());
        using var bob = await _gateway.ConnectAsync(worker.Name, "/rooms/lobby/ws?name=bob");
        Assert.Equal(2, (await NextAsync(bob)).GetProperty("online").GetInt32());
        Assert.Equal("joined", (await NextAsync(ann)).GetProperty("type").GetString());

        await SocketGateway.SendAsync(ann, "hi bob");
        Assert.Equal("hi bob", (await NextAsync(bob)).GetProperty("text").GetString());
        Assert.Equal("hi bob", (await NextAsync(ann)).GetProperty("text").GetString());
        await SocketGateway.SendAsync(ann, "ping");
        Assert.Equal("pong", await SocketGateway.ReceiveAsync(ann));

        // Past the hibernation grace the room's instance goes; the sockets and the history stay.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(11));
        await SocketGateway.SendAsync(bob, "still there?");
        Assert.Equal("still there?", (await NextAsync(ann)).GetProperty("text").GetString());
        Assert.Equal("still there?", (await NextAsync(bob)).GetProperty("text").GetString());

        using var cat = await _gateway.ConnectAsync(worker.Name, "/rooms/lobby/ws?name=cat");
        var late = await NextAsync(cat);
        Assert.Equal(["ann: hi bob", "bob: still there?"], late.GetProperty("history").EnumerateArray().Select(m => $"{m.GetProperty("author").GetString()}: {m.GetProperty("text").GetString()}"));
        Assert.Equal(3, late.GetProperty("online").GetInt32());

        await bob.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", SocketGateway.Timeout());
        Assert.Equal("joined", (await NextAsync(ann)).GetProperty("type").GetString());
        var left = await NextAsync(ann);
        Assert.Equal("left", left.GetProperty("type").GetString());
        Assert.Equal("bob", left.GetProperty("name").GetString());
        Assert.Equal(1000, left.GetProperty("code").GetInt32());
    }
}
