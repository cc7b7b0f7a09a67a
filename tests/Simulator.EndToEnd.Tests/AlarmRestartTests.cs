using System.Text.Json;

namespace Simulator.EndToEnd.Tests;

/// <summary>An alarm is durable: set on a silo that is then killed, it fires once on the silo started in its place.</summary>
public sealed class AlarmRestartTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    private const string Worker = """
        import { DurableObject } from "cloudflare:workers";
        export class Room extends DurableObject {
          async alarm(info) { await this.ctx.storage.put("fired", ((await this.ctx.storage.get("fired")) ?? 0) + 1); }
          async fetch(request) {
            const ms = new URL(request.url).searchParams.get("ms");
            if (ms) await this.ctx.storage.setAlarm(Date.now() + Number(ms));
            return Response.json({ fired: (await this.ctx.storage.get("fired")) ?? 0, alarm: await this.ctx.storage.getAlarm() });
          }
        }
        export default { fetch: (request, env) => env.ROOM.getByName("r").fetch(request) };
        """;

    private const string Config = """
        name = "alarms"
        main = "index.js"
        [[durable_objects.bindings]]
        name = "ROOM"
        class_name = "Room"
        [[migrations]]
        tag = "v1"
        new_sqlite_classes = ["Room"]
        """;

    [Fact]
    public async Task An_alarm_set_before_a_silo_is_killed_fires_exactly_once_on_the_silo_that_restarts_on_its_storage()
    {
        var storage = Directory.CreateTempSubdirectory("dosim-alarms-").FullName;
        var code = Directory.CreateTempSubdirectory("dosim-alarm-worker-").FullName;
        await File.WriteAllTextAsync(Path.Combine(code, "index.js"), Worker);
        await File.WriteAllTextAsync(Path.Combine(code, "wrangler.toml"), Config);
        string[] settings = ["--storage-path", storage, "--clock", "virtual", "--clock-start", "2026-01-01T00:00:00Z"];

        long due;
        await using (var first = await SiloProcess.StartAsync(null, settings))
        {
            var deploy = await Run.CliAsync(first, "deploy", "--name", "alarms", "--module", Path.Combine(code, "index.js"), "--config", Path.Combine(code, "wrangler.toml"));
            Assert.True(deploy.ExitCode == 0, deploy.ToString());
            var set = await Get(first, "?ms=60000");
            Assert.Equal(0, set.GetProperty("fired").GetInt32());
            due = set.GetProperty("alarm").GetInt64();

            // Killed, not stopped: only what storage holds survives.
            first.Kill();
        }

        await using var second = await SiloProcess.StartAsync(null, settings);
        var advance = await Run.CliAsync(second, "clock", "advance", "61s");
        Assert.True(advance.ExitCode == 0, advance.ToString());

        // The new silo wakes the Worker's alarm index as it starts; the alarm fires once it is awake.
        var fired = await Core.Tests.Eventually.Until(
            "the alarm to fire on the restarted silo",
            TimeSpan.FromSeconds(30),
            async () =>
            {
                await Run.CliAsync(second, "clock", "advance", "1ms");
                return await Get(second, string.Empty);
            },
            body => body.GetProperty("fired").GetInt32() > 0);
        Assert.Equal(1, fired.GetProperty("fired").GetInt32());
        Assert.Equal(JsonValueKind.Null, fired.GetProperty("alarm").ValueKind);
        Assert.True(due == new DateTimeOffset(2026, 1, 1, 0, 1, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), $"due {due}");

        // Exactly once: a day later it has not fired again.
        Assert.Equal(0, (await Run.CliAsync(second, "clock", "advance", "1d")).ExitCode);
        Assert.Equal(1, (await Get(second, string.Empty)).GetProperty("fired").GetInt32());
    }

    private static async Task<JsonElement> Get(SiloProcess silo, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{silo.HttpPort}/{query}");
        request.Headers.Host = "alarms.localhost";
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}\n--- silo\n{silo.Output}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
