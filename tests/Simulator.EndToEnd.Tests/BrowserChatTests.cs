using Microsoft.Playwright;

namespace Simulator.EndToEnd.Tests;

/// <summary>
/// A real browser (Debian's Chromium, driven by Playwright) opens examples/live-chat's page from
/// the version's assets through a silo's gateway; two users chat over WebSockets to the room's
/// object, and a screenshot is kept in artifacts/ (DOSIM_ARTIFACTS).
/// </summary>
public sealed class BrowserChatTests
{
    private static string Chromium => Environment.GetEnvironmentVariable("DOSIM_CHROMIUM") ?? "/usr/bin/chromium";

    private static string Artifacts => Environment.GetEnvironmentVariable("DOSIM_ARTIFACTS") ?? Path.Combine(Build.RepositoryRoot, "artifacts");

    [Fact]
    public async Task Two_browser_pages_from_a_versions_assets_chat_through_a_room_object()
    {
        Assert.True(File.Exists(Chromium), $"No Chromium at {Chromium}: install Debian's package (apt-get install -y chromium) or set DOSIM_CHROMIUM.");
        await using var silo = await SiloProcess.StartAsync();
        var deploy = await Run.CliAsync(silo, "deploy", "--name", "live", "--config", Path.Combine(Build.RepositoryRoot, "examples", "live-chat", "wrangler.toml"), "--tag", "v1");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        // Chromium resolves every *.localhost name to the loopback address: the gateway's Host names the Worker.
        var url = $"http://live.localhost:{silo.HttpPort}/";
        var ann = await browser.NewPageAsync();
        var bob = await browser.NewPageAsync();
        foreach (var (page, name) in new[] { (ann, "ann"), (bob, "bob") })
        {
            await page.GotoAsync(url);
            await page.FillAsync("#name", name);
            await page.FillAsync("#room", "browsers");
            await page.ClickAsync("#connect");
            await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("connected to browsers");
        }

        await Assertions.Expect(ann.Locator("#version")).ToHaveTextAsync("room on version v1");
        await ann.FillAsync("#text", "hello from ann's browser");
        await ann.ClickAsync("#send");
        await Assertions.Expect(bob.Locator("#log li").Last).ToHaveTextAsync("ann: hello from ann's browser");

        Directory.CreateDirectory(Artifacts);
        await bob.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "live-chat-browser.png"), FullPage = true });
    }
}
