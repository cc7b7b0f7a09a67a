namespace Simulator.EndToEnd.Tests;

/// <summary><c>dosim deploy --config</c> with an <c>assets</c> directory: the files are served, and a second deploy sends only what changed.</summary>
public sealed class CliAssetsTests
{
    [Fact]
    public async Task Dosim_deploy_reads_the_assets_directory_and_sends_only_the_content_the_cluster_lacks()
    {
        var dir = Directory.CreateTempSubdirectory("dosim-cli-assets-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "public"));
            File.WriteAllText(Path.Combine(dir.FullName, "index.js"), "export default { fetch: () => new Response('worker') };");
            File.WriteAllText(Path.Combine(dir.FullName, "wrangler.toml"), "name = \"site\"\nmain = \"index.js\"\n[assets]\ndirectory = \"./public\"\n");
            File.WriteAllText(Path.Combine(dir.FullName, "public", "index.html"), "<h1>one</h1>");
            File.WriteAllText(Path.Combine(dir.FullName, "public", "style.css"), "h1 { color: red }");
            await using var silo = await SiloProcess.StartAsync();
            async Task<Run.Result> Deploy(string tag) =>
                await Run.CliAsync(silo, "deploy", "--name", "site", "--config", Path.Combine(dir.FullName, "wrangler.toml"), "--tag", tag);
            using var http = new HttpClient();
            async Task<string> Get(string path)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{silo.HttpPort}{path}");
                request.Headers.Host = "site.localhost";
                using var response = await http.SendAsync(request);
                return $"{response.Content.Headers.ContentType} {await response.Content.ReadAsStringAsync()}";
            }

            var first = await Deploy("v1");
            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.Contains("Assets: 2 file(s) uploaded, 0 already stored", first.Stdout, StringComparison.Ordinal);
            Assert.Equal("text/html; charset=utf-8 <h1>one</h1>", await Get("/"));
            Assert.Equal("text/css; charset=utf-8 h1 { color: red }", await Get("/style.css"));
            Assert.EndsWith(" worker", await Get("/api"), StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(dir.FullName, "public", "index.html"), "<h1>two</h1>");
            var second = await Deploy("v2");
            Assert.True(second.ExitCode == 0, second.ToString());
            Assert.Contains("Assets: 1 file(s) uploaded, 1 already stored", second.Stdout, StringComparison.Ordinal);
            Assert.Equal("text/html; charset=utf-8 <h1>two</h1>", await Get("/"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
