using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace Simulator.EndToEnd.Tests;

/// <summary>
/// The same bundle in the platform's open-source runtime, workerd (npm package <c>workerd</c>), and
/// in dosim, on one version: the same requests, in the same order, get the same status, headers
/// that matter and bodies. Differential/index.js runs a key-value-backed object (workerd's
/// in-memory storage); DifferentialSql/index.js a SQLite-backed one over JS RPC (workerd's
/// localDisk storage with enableSql, the only storage with SQLite); DifferentialSockets/index.js
/// holds WebSocket conversations (the standard API in a Worker, the hibernation API in an object).
/// </summary>
public sealed class WorkerdDifferentialTests
{
    private static readonly string[] HeadersThatMatter = ["content-type", "location", "x-reason"];

    private static readonly (string Method, string Path, string? Body, string? Header)[] Requests =
    [
        ("GET", "/count/foo", null, null), ("GET", "/count/foo", null, null), ("GET", "/count/bar", null, null), ("GET", "/count/foo", null, null),
        ("GET", "/list/lister", null, null),
        ("GET", "/echo?a=1&b=two&b=three", null, "hello"), ("POST", "/echo", "posted body é", null),
        ("POST", "/bytes", "\u0000\u0001\u00fe binary", null),
        ("GET", "/redirect", null, null), ("GET", "/status", null, null), ("GET", "/late", null, null), ("GET", "/apis", null, null), ("GET", "/nowhere", null, null),
    ];

    [Fact]
    public Task The_same_bundle_answers_the_same_in_workerd_and_in_dosim() =>
        CompareAsync("Differential", "COUNTER", "Counter", sql: false, Requests);

    [Fact]
    public Task Rpc_sql_kv_on_sqlite_and_alarm_retries_answer_the_same_in_workerd_and_in_dosim() =>
        CompareAsync("DifferentialSql", "ROOM", "Room", sql: true, [("GET", "/a/rpc", null, null), ("GET", "/b/sql", null, null), ("GET", "/c/sql-errors", null, null), ("GET", "/d/transaction", null, null), ("GET", "/e/kv", null, null), ("GET", "/f/alarm-set", null, null)],
            ("GET", "/f/alarm-runs", "retryCount:2"));

    // Both runtimes drop an object idle for 10 s (workerd: "Actor freed due to inactivity"; dosim:
    // the platform's hibernation grace): its in-memory count starts again. (What it stored is not
    // compared: workerd's in-memory storage goes with the instance, the platform's does not.)
    [Fact]
    public Task An_idle_objects_memory_is_gone_after_the_grace_in_workerd_and_in_dosim() =>
        CompareAsync("Differential", "COUNTER", "Counter", sql: false, [("GET", "/memory/idle", null, null), ("GET", "/memory/idle", null, null)],
            afterIdle: (TimeSpan.FromSeconds(12), ("GET", "/memory/idle", "\"inMemory\":1")));

    [Fact]
    public async Task WebSocket_conversations_go_the_same_in_workerd_and_in_dosim()
    {
        var folder = Path.Combine(Build.RepositoryRoot, "tests", "Simulator.EndToEnd.Tests", "DifferentialSockets");
        await using var workerd = await Workerd.StartAsync(Path.Combine(folder, "index.js"), "ROOM", "Room", sql: false, "2026-11-01");
        await using var silo = await SiloProcess.StartAsync();
        var deploy = await Run.CliAsync(silo, "deploy", "--name", "differential", "--module", Path.Combine(folder, "index.js"), "--config", Path.Combine(folder, "wrangler.toml"), "--tag", "v1");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        var platform = await TranscriptAsync(workerd.Port);
        var simulated = await TranscriptAsync(silo.HttpPort);
        Assert.True(platform.SequenceEqual(simulated), $"workerd:\n{string.Join('\n', platform)}\ndosim:\n{string.Join('\n', simulated)}");
        Assert.Contains("echo< a Blob of 3 bytes, binaryType blob", platform);
        Assert.Contains("bob: Closed 4002 bye bob", platform);
        Assert.Contains("alice< thenable followed, 2 here", platform);
    }

    // A conversation that stops early ends its transcript with why, for the message of a difference.
    private static async Task<List<string>> TranscriptAsync(int port)
    {
        var transcript = new List<string>();
        try
        {
            await ConverseAsync(port, transcript);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            transcript.Add($"stopped: {ex.GetType().Name}: {ex.Message}");
        }

        return transcript;
    }

    // One conversation, each client's messages in the order it got them: an echo on the Worker's
    // own socket, then a room of two on the hibernation API.
    private static async Task ConverseAsync(int port, List<string> transcript)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        async Task<ClientWebSocket> ConnectAsync(string path)
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Host", "differential.localhost");
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}{path}"), timeout.Token);
            return socket;
        }

        async Task ExpectAsync(string who, ClientWebSocket socket, int count = 1)
        {
            for (var i = 0; i < count; i++)
            {
                transcript.Add($"{who}< {await ReceiveAsync(socket, timeout.Token)}");
            }
        }

        Task SendAsync(ClientWebSocket socket, string text) =>
            socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);

        Task SendBytesAsync(ClientWebSocket socket, byte[] bytes) =>
            socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);

        using (var echo = await ConnectAsync("/echo"))
        {
            await ExpectAsync("echo", echo);
            await SendAsync(echo, "hi");
            await ExpectAsync("echo", echo);
            await SendBytesAsync(echo, [0, 1, 254]);
            await ExpectAsync("echo", echo, 2);
            await SendAsync(echo, "arraybuffer");
            await ExpectAsync("echo", echo);
            await SendBytesAsync(echo, [5, 6]);
            await ExpectAsync("echo", echo);
            await SendAsync(echo, "close");
            await ExpectAsync("echo", echo);
        }

        using var alice = await ConnectAsync("/rooms/r1?name=alice");
        await ExpectAsync("alice", alice);
        using var bob = await ConnectAsync("/rooms/r1?name=bob");
        await ExpectAsync("bob", bob);
        await SendAsync(alice, "hello");
        await ExpectAsync("alice", alice);
        await ExpectAsync("bob", bob);
        await SendAsync(bob, "ping");
        await ExpectAsync("bob", bob);
        await SendAsync(bob, "stamp");
        await ExpectAsync("bob", bob);
        await SendAsync(bob, "tags");
        await ExpectAsync("bob", bob);
        await SendAsync(alice, "to:bob:psst");
        await ExpectAsync("bob", bob);
        await SendBytesAsync(alice, [1, 2, 3]);
        await ExpectAsync("alice", alice);
        await SendAsync(alice, "errors");
        await ExpectAsync("alice", alice);
        await SendAsync(alice, "thenable");
        await ExpectAsync("alice", alice);
        await SendAsync(bob, "hi all");
        await ExpectAsync("alice", alice);
        await ExpectAsync("bob", bob);
        await bob.CloseAsync((WebSocketCloseStatus)4002, "gone", timeout.Token);
        transcript.Add($"bob: {bob.State} {(int?)bob.CloseStatus} {bob.CloseStatusDescription}");
        await ExpectAsync("alice", alice);
        await SendAsync(alice, "bye");
        await ExpectAsync("alice", alice);
    }

    // The next message as text, bytes as hex, or the close frame's code and reason.
    private static async Task<string> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellation)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellation);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        return result.MessageType switch
        {
            WebSocketMessageType.Close => $"closed {(int?)socket.CloseStatus} {socket.CloseStatusDescription}",
            WebSocketMessageType.Binary => "bytes " + Convert.ToHexString(buffer, 0, length),
            _ => Encoding.UTF8.GetString(buffer, 0, length),
        };
    }

    // Each of the requests once, in order; then the last request again, on each side, until its
    // answer has `until` in it (alarms run on each runtime's own clock), and those answers compared.
    // With afterIdle, once the requests are done both sides idle that long, then get one more
    // request, whose answers must match and have `expected` in them.
    private static async Task CompareAsync(string bundle, string binding, string className, bool sql, (string Method, string Path, string? Body, string? Header)[] requests, (string Method, string Path, string Until)? last = null, (TimeSpan Idle, (string Method, string Path, string Expected) Request)? afterIdle = null)
    {
        var folder = Path.Combine(Build.RepositoryRoot, "tests", "Simulator.EndToEnd.Tests", bundle);
        var compatibilityDate = File.ReadAllLines(Path.Combine(folder, "wrangler.toml")).Select(l => l.Split('=', 2)).Where(p => p[0].Trim() == "compatibility_date").Select(p => p[1].Trim().Trim('"')).FirstOrDefault() ?? "2025-09-01";
        await using var workerd = await Workerd.StartAsync(Path.Combine(folder, "index.js"), binding, className, sql, compatibilityDate);
        await using var silo = await SiloProcess.StartAsync();
        var deploy = await Run.CliAsync(silo, "deploy", "--name", "differential", "--module", Path.Combine(folder, "index.js"), "--config", Path.Combine(folder, "wrangler.toml"), "--tag", "v1");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        foreach (var (method, path, body, header) in requests)
        {
            var platform = await SendAsync(http, $"http://127.0.0.1:{workerd.Port}{path}", "differential.localhost", method, body, header);
            var simulated = await SendAsync(http, $"http://127.0.0.1:{silo.HttpPort}{path}", "differential.localhost", method, body, header);
            Assert.True(platform == simulated, $"{method} {path}\nworkerd: {Readable(platform)}\ndosim:   {Readable(simulated)}");
        }

        if (afterIdle is var (idle, (idleMethod, idlePath, expected)))
        {
            await Task.Delay(idle);
            var platform = await SendAsync(http, $"http://127.0.0.1:{workerd.Port}{idlePath}", "differential.localhost", idleMethod, null, null);
            var simulated = await SendAsync(http, $"http://127.0.0.1:{silo.HttpPort}{idlePath}", "differential.localhost", idleMethod, null, null);
            Assert.True(platform == simulated, $"{idleMethod} {idlePath} after {idle.TotalSeconds} s idle\nworkerd: {Readable(platform)}\ndosim:   {Readable(simulated)}");
            Assert.Contains(expected, Readable(platform), StringComparison.Ordinal);
        }

        if (last is var (lastMethod, lastPath, until))
        {
            var platform = await PollAsync(http, $"http://127.0.0.1:{workerd.Port}{lastPath}", lastMethod, until);
            var simulated = await PollAsync(http, $"http://127.0.0.1:{silo.HttpPort}{lastPath}", lastMethod, until);
            Assert.True(platform == simulated, $"{lastMethod} {lastPath}\nworkerd: {Readable(platform)}\ndosim:   {Readable(simulated)}");
            Assert.Contains(until, Readable(platform), StringComparison.Ordinal);
        }
    }

    private static async Task<string> PollAsync(HttpClient http, string url, string method, string until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (;;)
        {
            var answer = await SendAsync(http, url, "differential.localhost", method, null, null);
            if (Readable(answer).Contains(until, StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                return answer;
            }

            await Task.Delay(250);
        }
    }

    // A body as text where it is text, for the message of a difference.
    private static string Readable(string answer)
    {
        var at = answer.LastIndexOf(' ');
        try
        {
            return answer[..at] + " " + Encoding.UTF8.GetString(Convert.FromHexString(answer[(at + 1)..]));
        }
        catch (FormatException)
        {
            return answer;
        }
    }

    private static async Task<string> SendAsync(HttpClient http, string url, string host, string method, string? body, string? header)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        request.Headers.Host = host;
        if (header is not null)
        {
            request.Headers.Add("x-test", header);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
        }

        using var response = await http.SendAsync(request);
        var headers = HeadersThatMatter.Select(name => response.Headers.TryGetValues(name, out var v) || response.Content.Headers.TryGetValues(name, out v) ? $"{name}: {string.Join(",", v)}" : null).Where(h => h is not null);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return $"{(int)response.StatusCode} [{string.Join("; ", headers)}] {Convert.ToHexString(bytes)}";
    }

    /// <summary>workerd serving one Worker with a Durable Object namespace, on a free loopback port.</summary>
    private sealed class Workerd : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly DirectoryInfo _folder;

        private Workerd(Process process, DirectoryInfo folder, int port) => (_process, _folder, Port) = (process, folder, port);

        public int Port { get; }

        public static async Task<Workerd> StartAsync(string bundle, string binding, string className, bool sql, string compatibilityDate)
        {
            var binary = Environment.GetEnvironmentVariable("DOSIM_WORKERD") is { Length: > 0 } set ? set : Path.Combine(Build.RepositoryRoot, ".tools", "node_modules", ".bin", "workerd");
            Assert.True(File.Exists(binary), $"workerd is not installed at {binary}: `npm install --prefix .tools workerd@1.20261117.1` (.ci/run does), or set DOSIM_WORKERD to its binary.");
            var folder = Directory.CreateTempSubdirectory("dosim-workerd-");
            File.Copy(bundle, Path.Combine(folder.FullName, "index.js"));
            var port = Build.FreePort();
            var disk = Directory.CreateDirectory(Path.Combine(folder.FullName, "do-disk")).FullName;
            File.WriteAllText(Path.Combine(folder.FullName, "config.capnp"), $$"""
                using Workerd = import "/workerd/workerd.capnp";
                const config :Workerd.Config = (
                  services = [ (name = "main", worker = .worker), (name = "do-disk", disk = (path = "{{disk}}", writable = true)) ],
                  sockets = [ (name = "http", address = "127.0.0.1:{{port}}", http = (), service = "main") ],
                );
                const worker :Workerd.Worker = (
                  modules = [ (name = "index.js", esModule = embed "index.js") ],
                  compatibilityDate = "{{compatibilityDate}}",
                  bindings = [ (name = "{{binding}}", durableObjectNamespace = "{{className}}") ],
                  durableObjectNamespaces = [ (className = "{{className}}", uniqueKey = "dosim-differential-{{className.ToLowerInvariant()}}"{{(sql ? ", enableSql = true" : "")}}) ],
                  durableObjectStorage = {{(sql ? "(localDisk = \"do-disk\")" : "(inMemory = void)")}},
                );
                """);
            var process = Process.Start(Build.StartInfo(binary, ["serve", Path.Combine(folder.FullName, "config.capnp")]))!;
            var workerd = new Workerd(process, folder, port);
            using var probe = new HttpClient();
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var response = await probe.GetAsync($"http://127.0.0.1:{port}/");
                    return workerd;
                }
                catch (HttpRequestException) when (attempt < 100 && !process.HasExited)
                {
                    await Task.Delay(100);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Build.KillAsync(_process);
            _folder.Delete(recursive: true);
        }
    }
}
