using System.Diagnostics;
using System.Text;

namespace Simulator.EndToEnd.Tests;

/// <summary>
/// The same bundle (Differential/index.js) in the platform's open-source runtime, workerd (npm
/// package <c>workerd</c>, in-memory Durable Object storage), and in dosim, on one version: the
/// same requests, in the same order, get the same status, headers that matter and bodies.
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
    public async Task The_same_bundle_answers_the_same_in_workerd_and_in_dosim()
    {
        var folder = Path.Combine(Build.RepositoryRoot, "tests", "Simulator.EndToEnd.Tests", "Differential");
        await using var workerd = await Workerd.StartAsync(Path.Combine(folder, "index.js"));
        await using var silo = await SiloProcess.StartAsync();
        var deploy = await Run.CliAsync(silo, "deploy", "--name", "differential", "--module", Path.Combine(folder, "index.js"), "--config", Path.Combine(folder, "wrangler.toml"), "--tag", "v1");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        foreach (var (method, path, body, header) in Requests)
        {
            var platform = await SendAsync(http, $"http://127.0.0.1:{workerd.Port}{path}", "differential.localhost", method, body, header);
            var simulated = await SendAsync(http, $"http://127.0.0.1:{silo.HttpPort}{path}", "differential.localhost", method, body, header);
            Assert.True(platform == simulated, $"{method} {path}\nworkerd: {platform}\ndosim:   {simulated}");
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

        public static async Task<Workerd> StartAsync(string bundle)
        {
            var binary = Environment.GetEnvironmentVariable("DOSIM_WORKERD") is { Length: > 0 } set ? set : Path.Combine(Build.RepositoryRoot, ".tools", "node_modules", ".bin", "workerd");
            Assert.True(File.Exists(binary), $"workerd is not installed at {binary}: `npm install --prefix .tools workerd@1.20261117.1` (.ci/run does), or set DOSIM_WORKERD to its binary.");
            var folder = Directory.CreateTempSubdirectory("dosim-workerd-");
            File.Copy(bundle, Path.Combine(folder.FullName, "index.js"));
            var port = Build.FreePort();
            File.WriteAllText(Path.Combine(folder.FullName, "config.capnp"), $$"""
                using Workerd = import "/workerd/workerd.capnp";
                const config :Workerd.Config = (
                  services = [ (name = "main", worker = .worker) ],
                  sockets = [ (name = "http", address = "127.0.0.1:{{port}}", http = (), service = "main") ],
                );
                const worker :Workerd.Worker = (
                  modules = [ (name = "index.js", esModule = embed "index.js") ],
                  compatibilityDate = "2025-09-01",
                  bindings = [ (name = "COUNTER", durableObjectNamespace = "Counter") ],
                  durableObjectNamespaces = [ (className = "Counter", uniqueKey = "dosim-differential-counter") ],
                  durableObjectStorage = (inMemory = void),
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
