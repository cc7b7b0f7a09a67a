using System.Net;
using System.Text.Json;
using Simulator.Core;

namespace Simulator.EndToEnd.Tests;

/// <summary>Three silo processes form one cluster; one (not the primary) is killed during a rollout.</summary>
public sealed class ThreeSiloProcessTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private static readonly string[] Names = [.. Enumerable.Range(0, 60).Select(i => "o" + i)];

    [Fact]
    public async Task A_silo_killed_mid_rollout_leaves_the_others_to_finish_with_no_object_back_on_an_earlier_version()
    {
        // File storage shared by the three processes: the killed silo's state is not lost with it.
        var storage = Directory.CreateTempSubdirectory("dosim-e2e-").FullName;
        string[] fast = ["--probe-timeout", "00:00:01", "--storage-path", storage];
        await using var primary = await SiloProcess.StartAsync(null, fast);
        await using var second = await SiloProcess.StartAsync(primary, fast);
        await using var third = await SiloProcess.StartAsync(primary, fast);
        var cluster = $"127.0.0.1:{primary.GatewayPort},127.0.0.1:{second.GatewayPort}";
        async Task<Run.Result> Cli(params string[] args)
        {
            var result = await Run.ProcessAsync("dotnet", [Build.CliDll, .. args, "--name", "rollout", "--cluster", cluster], new Dictionary<string, string>());
            Assert.True(result.ExitCode == 0, result.ToString());
            return result;
        }

        await WaitForActiveSilos(primary, 3);
        await WaitForActiveSilos(second, 3);
        await Cli("deploy", "--script", "counter", "--tag", "A");
        var b = (await Cli("versions", "upload", "--script", "counter", "--tag", "B")).Stdout.Trim().Split(' ')[^1];
        var a = JsonDocument.Parse((await Cli("versions", "view", "A", "--json")).Stdout).RootElement.GetProperty("id").GetString()!;
        var seenB = new HashSet<string>();
        var silos = new HashSet<string>();
        string[][] steps = [["A@100%"], ["B@20%", "A@80%"], ["B@50%", "A@50%"], ["B@100%"]];
        for (var step = 0; step < steps.Length; step++)
        {
            if (step > 0)
            {
                await Cli(["versions", "deploy", .. steps[step], "--code-update", "immediate"]);
            }

            if (step == 2)
            {
                third.Kill();
            }

            var shares = steps[step].Select(s => new VersionShare(Guid.Parse(s[0] == 'A' ? a : b), decimal.Parse(s[2..^1], System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            var ranges = VersionRanges.From(shares);
            foreach (var name in Names)
            {
                var served = await ObjectVersion(primary, name);
                Assert.Equal(ranges.VersionFor(DurableObjectId.FromName("Counter", name)).ToString(), served);
                if (served == b)
                {
                    seenB.Add(name);
                }
                else
                {
                    Assert.DoesNotContain(name, seenB);
                }
            }

            if (step == 0)
            {
                // The object index is written behind the calls: wait until it lists them all.
                var objects = await Core.Tests.Eventually.Until(
                    "the object index to list every object",
                    TimeSpan.FromSeconds(30),
                    async () => JsonDocument.Parse((await Cli("objects", "--json")).Stdout).RootElement.EnumerateArray().ToList(),
                    listed => listed.Count == Names.Length && listed.All(o => o.GetProperty("silo").ValueKind == JsonValueKind.String));
                silos.UnionWith(objects.Select(o => o.GetProperty("silo").GetString()!));
            }
        }

        Assert.Equal(3, silos.Count);
        Assert.Equal(Names.Length, seenB.Count);
    }

    /// <summary>Polls `dosim silos` through one silo's gateway until it sees <paramref name="count"/> active silos.</summary>
    private static async Task WaitForActiveSilos(SiloProcess silo, int count)
    {
        await Core.Tests.Eventually.Until(
            $"silo {silo.GatewayPort} to see {count} active silos",
            TimeSpan.FromSeconds(60),
            () => Run.ProcessAsync("dotnet", [Build.CliDll, "silos", "--json", "--cluster", $"127.0.0.1:{silo.GatewayPort}"], new Dictionary<string, string>()),
            result => result.ExitCode == 0 && JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().Count(s => s.GetProperty("status").GetString() == "active") == count);
    }

    /// <summary>The version of the object that answered; retried while the killed silo is not yet declared dead.</summary>
    private static async Task<string> ObjectVersion(SiloProcess silo, string name)
    {
        return (await Core.Tests.Eventually.Until(
            $"object {name} to answer after the silo's death",
            TimeSpan.FromSeconds(60),
            async () =>
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{silo.HttpPort}/{name}");
                    request.Headers.Host = "rollout.localhost";
                    using var response = await Http.SendAsync(request);
                    return response.StatusCode == HttpStatusCode.OK ? response.Headers.GetValues("X-Simulator-Durable-Object-Version-Id").Single() : $"status {(int)response.StatusCode}";
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // The silo holding the object died and is not yet declared dead: try again.
                    return ex.Message;
                }
            },
            answer => Guid.TryParse(answer, out _),
            TimeSpan.Zero))!;
    }
}
