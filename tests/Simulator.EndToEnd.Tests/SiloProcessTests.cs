namespace Simulator.EndToEnd.Tests;

public sealed class SiloProcessTests
{
    [Fact]
    public async Task SIGTERM_stops_a_silo_cleanly()
    {
        await using var silo = await SiloProcess.StartAsync();
        await silo.StopAsync();
        Assert.Equal(0, silo.ExitCode);
    }

    [Fact]
    public async Task Bad_settings_stop_the_silo_with_one_line()
    {
        var result = await Run.ProcessAsync("dotnet", [Build.SiloDll, "--silo-port", "lots"], new Dictionary<string, string>());
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("dosim silo: --silo-port (or DOSIM_SILO_PORT) is 'lots': it must be a whole number from 1 to 65535.", result.Stderr.Trim());

        var eviction = await Run.ProcessAsync("dotnet", [Build.SiloDll, "--eviction", "later"], new Dictionary<string, string>());
        Assert.Equal(2, eviction.ExitCode);
        Assert.Equal("dosim silo: --eviction (or DOSIM_EVICTION) is 'later': it must be on (idle objects hibernate or are evicted, as on the platform) or off (they stay in memory).", eviction.Stderr.Trim());

        var unknown = await Run.ProcessAsync("dotnet", [Build.SiloDll, "--colour", "red"], new Dictionary<string, string>());
        Assert.Equal(2, unknown.ExitCode);
        Assert.StartsWith("dosim silo: Unknown argument '--colour'.", unknown.Stderr.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cli_says_when_no_cluster_answers()
    {
        var result = await Run.ProcessAsync("dotnet", [Build.CliDll, "versions", "list", "--cluster", $"127.0.0.1:{Build.FreePort()}"], new Dictionary<string, string>());
        Assert.Equal(4, result.ExitCode);
        Assert.StartsWith("✘ Cannot reach the cluster at 127.0.0.1:", result.Stderr.Trim(), StringComparison.Ordinal);
    }
}
