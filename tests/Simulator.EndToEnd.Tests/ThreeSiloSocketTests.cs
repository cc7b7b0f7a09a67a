using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Simulator.EndToEnd.Tests;

/// <summary>
/// WebSockets across three silo processes: a client's connection stays on the gateway that
/// accepted it while its room's object runs on another silo. Killing the object's silo closes the
/// client's socket with a close frame, and a reconnect reaches the room, with its history, on a
/// silo still up; killing a gateway's silo drops its clients for the objects (1006), awake or
/// hibernated.
/// </summary>
public sealed class ThreeSiloSocketTests
{
    private static readonly string Config = Path.Combine(Build.RepositoryRoot, "examples", "live-chat", "wrangler.toml");

    [Fact]
    public async Task Killing_an_objects_silo_closes_its_clients_sockets_and_killing_a_gateways_silo_drops_its_clients_for_the_objects()
    {
        var storage = Directory.CreateTempSubdirectory("dosim-e2e-").FullName;
        string[] fast = ["--probe-timeout", "00:00:01", "--storage-path", storage];
        await using var primary = await SiloProcess.StartAsync(null, fast);
        await using var second = await SiloProcess.StartAsync(primary, fast);
        await using var third = await SiloProcess.StartAsync(primary, fast);
        var cluster = $"127.0.0.1:{primary.GatewayPort}";
        async Task<string> Cli(params string[] args)
        {
            var result = await Run.ProcessAsync("dotnet", [Build.CliDll, .. args, "--cluster", cluster], new Dictionary<string, string>());
            Assert.True(result.ExitCode == 0, result.ToString());
            return result.Stdout;
        }

        await Core.Tests.Eventually.Until("three active silos", TimeSpan.FromSeconds(60), () => Cli("silos", "--json"),
            json => JsonDocument.Parse(json).RootElement.EnumerateArray().Count(s => s.GetProperty("status").GetString() == "active") == 3);
        await Cli("deploy", "--name", "live", "--config", Config, "--tag", "v1");

        // Rooms until one's object runs on the third silo, each reached through the primary's gateway.
        async Task<string> SiloOf(string room)
        {
            var objects = await Core.Tests.Eventually.Until($"the object index to list room {room}", TimeSpan.FromSeconds(30), () => Cli("objects", "--name", "live", "--json"),
                json => JsonDocument.Parse(json).RootElement.EnumerateArray().Any(o => o.GetProperty("name").GetString() == room && o.GetProperty("silo").ValueKind == JsonValueKind.String));
            return JsonDocument.Parse(objects).RootElement.EnumerateArray().First(o => o.GetProperty("name").GetString() == room).GetProperty("silo").GetString()!;
        }

        // A room whose object runs on the given silo, with ann connected through the primary's gateway.
        async Task<(ClientWebSocket Socket, string Room)> RoomOnAsync(string prefix, SiloProcess silo)
        {
            for (var i = 0; i < 40; i++)
            {
                var candidate = $"{prefix}{i}";
                var socket = await ConnectAsync(primary, candidate, "ann");
                Assert.Equal("welcome", (await NextAsync(socket)).GetProperty("type").GetString());
                if ((await SiloOf(candidate)).Contains($":{silo.SiloPort}", StringComparison.Ordinal))
                {
                    return (socket, candidate);
                }

                socket.Dispose();
            }

            Assert.Fail($"no room of 40 ran on silo {silo.SiloPort}");
            return default;
        }

        var (client, room) = await RoomOnAsync("r", third);
        await SendAsync(client, "before the crash");
        Assert.Equal("before the crash", (await NextAsync(client)).GetProperty("text").GetString());

        third.Kill();
        var closed = await ReceiveAsync(client, TimeSpan.FromSeconds(30));
        Assert.StartsWith("closed 1001", closed, StringComparison.Ordinal);

        // The room comes back on a silo still up, with what it had stored.
        using var again = await Core.Tests.Eventually.Until("a reconnect to reach the room", TimeSpan.FromSeconds(60), async () =>
        {
            try
            {
                return await ConnectAsync(primary, room, "ann");
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                return null;
            }
        }, socket => socket is not null);
        var welcome = await NextAsync(again!);
        Assert.Equal("before the crash", welcome.GetProperty("history").EnumerateArray().Single().GetProperty("text").GetString());
        Assert.DoesNotContain($":{third.SiloPort}", await SiloOf(room), StringComparison.Ordinal);

        // Two rooms on the primary, each with one client on each gateway, one of them hibernated:
        // when the second silo dies, both rooms hear that silo's client drop (the hibernated one is woken).
        var (dora, sleepy) = await RoomOnAsync("q", primary);
        using var carol = await ConnectAsync(second, sleepy, "carol");
        Assert.Equal("welcome", (await NextAsync(carol)).GetProperty("type").GetString());
        Assert.Equal("joined", (await NextAsync(dora)).GetProperty("type").GetString());
        await Core.Tests.Eventually.Until($"room {sleepy} to hibernate", TimeSpan.FromSeconds(60), () => Cli("objects", "--name", "live", "--json"),
            json => JsonDocument.Parse(json).RootElement.EnumerateArray().Any(o => o.GetProperty("name").GetString() == sleepy && o.GetProperty("state").GetString() == "hibernated"));

        var (ann, kept) = await RoomOnAsync("p", primary);
        using var bob = await ConnectAsync(second, kept, "bob");
        Assert.Equal("welcome", (await NextAsync(bob)).GetProperty("type").GetString());
        Assert.Equal("joined", (await NextAsync(ann)).GetProperty("type").GetString());

        second.Kill();
        foreach (var (socket, name) in new[] { (ann, "bob"), (dora, "carol") })
        {
            var left = JsonDocument.Parse(await ReceiveAsync(socket, TimeSpan.FromSeconds(30))).RootElement;
            Assert.Equal(("left", name, 1006), (left.GetProperty("type").GetString(), left.GetProperty("name").GetString(), left.GetProperty("code").GetInt32()));
        }

        ann.Dispose();
        dora.Dispose();
        client.Dispose();
    }

    private static async Task<ClientWebSocket> ConnectAsync(SiloProcess silo, string room, string name)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Host", "live.localhost");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{silo.HttpPort}/rooms/{room}/ws?name={name}"), timeout.Token);
        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    private static async Task<JsonElement> NextAsync(ClientWebSocket socket) => JsonDocument.Parse(await ReceiveAsync(socket, TimeSpan.FromSeconds(20))).RootElement.Clone();

    /// <summary>The next text message, or "closed CODE REASON".</summary>
    private static async Task<string> ReceiveAsync(ClientWebSocket socket, TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return $"closed {(int?)result.CloseStatus} {result.CloseStatusDescription}";
            }

            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return Encoding.UTF8.GetString(message.ToArray());
    }
}
