using System.Net;
using System.Text;

namespace Simulator.EndToEnd.Tests;

/// <summary>A silo given an OTLP endpoint sends its spans, metrics and logs there, version fields included.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Spans_metrics_and_logs_reach_the_otlp_endpoint_with_the_version_fields()
    {
        await using var collector = OtlpCollector.Start();
        // Each object's reset is logged at Debug (a storm would flood Information), so this silo logs Debug.
        var debug = new Dictionary<string, string> { ["Logging__LogLevel__Simulator.Grains.Telemetry"] = "Debug" };
        await using var silo = await SiloProcess.StartAsync(null, debug, "--telemetry-console", "off", "--otlp-endpoint", collector.Endpoint, "--otlp-protocol", "http");
        async Task Cli(params string[] args) => Assert.Equal(0, (await Run.CliAsync(silo, args)).ExitCode);
        await Cli("deploy", "--name", "exported", "--script", "counter", "--tag", "A");
        await Cli("versions", "upload", "--name", "exported", "--script", "counter", "--tag", "B");
        using var http = new HttpClient();
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{silo.HttpPort}/foo"))
        {
            request.Headers.Host = "exported.localhost";
            (await http.SendAsync(request)).EnsureSuccessStatusCode();
        }

        // foo is active on A; B at 100% resets it, which is logged (at Debug) with both versions.
        await Cli("versions", "deploy", "--name", "exported", "B@100%", "-y", "--code-update", "immediate");

        // Batched spans go out within seconds; metrics and the rest when the silo stops.
        await collector.WaitForAsync("durable_object fetch");
        await silo.StopAsync();
        foreach (var expected in new[] { "worker fetch", "dosim.version.id", "dosim.version.reason", "dosim.durable_object.id", "durable_object.reset", "dosim.requests", "dosim.durable_object.resets", "FromVersion" })
        {
            Assert.True(collector.Received(expected), $"no OTLP export carried '{expected}'; {collector.Count} exports received\n{silo.Output}");
        }
    }

    /// <summary>An OTLP/HTTP receiver on a free loopback port that keeps what it was sent.</summary>
    private sealed class OtlpCollector : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<string> _bodies = [];
        private readonly Task _serving;

        private OtlpCollector(int port)
        {
            Endpoint = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Endpoint);
            _listener.Start();
            _serving = Task.Run(ServeAsync);
        }

        public string Endpoint { get; }

        public int Count { get { lock (_bodies) { return _bodies.Count; } } }

        public static OtlpCollector Start() => new(Build.FreePort());

        // Protobuf keeps strings as UTF-8 bytes, so the names are found in the raw bodies.
        public bool Received(string text)
        {
            lock (_bodies)
            {
                return _bodies.Any(b => b.Contains(text, StringComparison.Ordinal));
            }
        }

        public Task WaitForAsync(string text) =>
            Core.Tests.Eventually.Until($"an OTLP export carrying '{text}'", TimeSpan.FromSeconds(30), () => Received(text), () => $"{Count} exports received");

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (_bodies)
                {
                    _bodies.Add(Encoding.Latin1.GetString(body.ToArray()));
                }

                // An empty protobuf message is a complete Export*ServiceResponse: all accepted.
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _serving;
            _listener.Close();
        }
    }
}
