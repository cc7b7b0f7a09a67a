using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// The load client of <see cref="SocketHarness"/>, run as a process of its own (the same one
/// against dosim and workerd, and never in the measured process):
/// <c>harness --socket-client hold|echo|broadcast PORT HOST A B</c>.
/// hold: A rooms × B sockets, opened and kept until its standard input closes;
/// echo: A sockets in A rooms, round trips for B seconds, prints round trips/s;
/// broadcast: A sockets in one room, B broadcasts, prints each delivery's latency percentiles.
/// </summary>
public static class SocketLoadClient
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 5 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var port) || !int.TryParse(args[3], CultureInfo.InvariantCulture, out var a) || !int.TryParse(args[4], CultureInfo.InvariantCulture, out var b))
        {
            await Console.Error.WriteLineAsync("usage: harness --socket-client hold|echo|broadcast PORT HOST A B");
            return 2;
        }

        var (mode, host) = (args[0], args[2]);
        switch (mode)
        {
            case "hold":
                var held = await OpenAsync(port, host, Enumerable.Range(0, a * b).Select(i => $"hold{i / b}").ToList());
                Console.WriteLine($"ready {held.Count}");
                await Console.In.ReadToEndAsync();
                return 0;
            case "echo":
                Console.WriteLine(((await EchoAsync(port, host, a, TimeSpan.FromSeconds(b))).ToString("0.0", CultureInfo.InvariantCulture)));
                return 0;
            case "broadcast":
                var (p50, p99, max) = await BroadcastAsync(port, host, a, b);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p50:0.00} {p99:0.00} {max:0.00}"));
                return 0;
            default:
                await Console.Error.WriteLineAsync($"'{mode}' is not a mode: hold, echo or broadcast.");
                return 2;
        }
    }

    // Each socket greets with "ready" once its room has accepted it; 200 handshakes at a time.
    private static async Task<List<ClientWebSocket>> OpenAsync(int port, string host, List<string> rooms)
    {
        var sockets = new ClientWebSocket[rooms.Count];
        using var gate = new SemaphoreSlim(200);
        await Task.WhenAll(rooms.Select(async (room, i) =>
        {
            await gate.WaitAsync();
            try
            {
                var socket = new ClientWebSocket();
                socket.Options.SetRequestHeader("Host", host);
                await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/{room}"), CancellationToken.None);
                var greeting = await ReceiveAsync(socket);
                if (greeting != "ready")
                {
                    throw new InvalidOperationException($"room {room} greeted with '{greeting}'");
                }

                sockets[i] = socket;
            }
            finally
            {
                gate.Release();
            }
        }));
        return [.. sockets];
    }

    private static async Task<double> EchoAsync(int port, string host, int count, TimeSpan duration)
    {
        var sockets = await OpenAsync(port, host, [.. Enumerable.Range(0, count).Select(i => $"echo{i}")]);
        var message = Encoding.UTF8.GetBytes("0123456789abcdef");
        long trips = 0;
        var clock = Stopwatch.StartNew();
        // Each socket reads its echo into a buffer of its own and does not decode it: the client
        // shares the cores with the server, and what it spends per round trip is not the server's.
        await Task.WhenAll(sockets.Select(async socket =>
        {
            var buffer = new byte[4096];
            while (clock.Elapsed < duration)
            {
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                }
                while (!result.EndOfMessage);

                Interlocked.Increment(ref trips);
            }
        }));
        var rate = trips / clock.Elapsed.TotalSeconds;
        Drop(sockets);
        return rate;
    }

    // The first socket sends; every socket (the sender too) gets the broadcast: the time from the
    // send to each socket's receipt is one delivery.
    private static async Task<(double P50, double P99, double Max)> BroadcastAsync(int port, string host, int count, int broadcasts)
    {
        var sockets = await OpenAsync(port, host, [.. Enumerable.Repeat("room", count)]);
        var latencies = new List<double>(count * broadcasts);
        for (var i = 0; i < broadcasts; i++)
        {
            var receipts = sockets.Select(async socket =>
            {
                await ReceiveAsync(socket);
                return Stopwatch.GetTimestamp();
            }).ToList();
            var sent = Stopwatch.GetTimestamp();
            await sockets[0].SendAsync(Encoding.UTF8.GetBytes($"all:{i}"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            foreach (var at in await Task.WhenAll(receipts))
            {
                latencies.Add(Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds);
            }
        }

        Drop(sockets);
        latencies.Sort();
        return (latencies[latencies.Count / 2], latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1], latencies[^1]);
    }

    // The measured part is over: the sockets are dropped, not closed one handshake at a time.
    private static void Drop(List<ClientWebSocket> sockets)
    {
        foreach (var socket in sockets)
        {
            socket.Abort();
            socket.Dispose();
        }
    }

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        return result.MessageType == WebSocketMessageType.Close ? $"closed {socket.CloseStatus}" : Encoding.UTF8.GetString(buffer, 0, length);
    }
}
