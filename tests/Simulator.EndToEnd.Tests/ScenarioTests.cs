using System.Text.RegularExpressions;
using Simulator.Core;

namespace Simulator.EndToEnd.Tests;

public sealed partial class ScenarioTests
{
    [Fact]
    public async Task The_scenario_prints_the_docs_table_and_one_reset_per_object_on_an_embedded_silo()
    {
        var result = await Run.CliAsync(null, "scenario", "durable-objects");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.ReplaceLineEndings("\n").Split('\n');
        var table = RolloutTable.Render(RolloutTable.DocsRollout, RolloutTable.DocsObjects).TrimEnd('\n').Split('\n');
        string[] expected =
        [
            "Durable Objects gradual deployment on an embedded in-process silo, worker do-scenario-******",
            "Code update: immediate (each object takes its assigned version at once, as in the docs' table; --code-update deferred for the platform's default)",
            "Version A: " + new string('*', 36),
            "Version B: " + new string('*', 36),
            string.Empty,
            .. table,
            string.Empty,
            "\"foo\": reset 1 time",
            "\"bar\": reset 1 time",
            "\"baz\": reset 1 time",
            string.Empty,
        ];
        Assert.Equal(expected, lines.Select(l => Hex().Replace(l, m => new string('*', m.Length))));
    }

    [Fact]
    public async Task The_replay_shows_the_rapid_deploy_loop_immediate_against_the_platforms_default()
    {
        string[] plan = ["scenario", "replay", "--objects", "3", "--deploys", "3", "--every", "2m"];
        var deferred = await Run.CliAsync(null, plan);
        Assert.True(deferred.ExitCode == 0, deferred.ToString());
        Assert.Contains("code update deferred, max delay 300 s (none given: the platform's default)", deferred.Stdout, StringComparison.Ordinal);
        Assert.Contains("00:02:00  v2                   0         3  00:07:00", deferred.Stdout, StringComparison.Ordinal);
        Assert.Contains("Resets: 3 (1 to 1 per object); 3 while running, 0 as the object woke", deferred.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"v4 at 00:06:00 +v4 +v1 +[0-9,]+ +0 +0% +skewed", deferred.Stdout);
        Assert.Contains("v1, then 3 deploys 00:02:00 apart, 00:11:05 in all;", deferred.Stdout, StringComparison.Ordinal);
        Assert.Contains("Replayed 00:11:05 of virtual time in", deferred.Stdout, StringComparison.Ordinal);

        var immediate = await Run.CliAsync(null, [.. plan, "--code-update", "immediate"]);
        Assert.True(immediate.ExitCode == 0, immediate.ToString());
        Assert.Contains("00:02:00  v2                   3         0  -", immediate.Stdout, StringComparison.Ordinal);
        Assert.Contains("Resets: 9 (3 to 3 per object); 9 while running, 0 as the object woke", immediate.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("skewed", immediate.Stdout, StringComparison.Ordinal);
        Assert.Contains("Replayed 00:08:00 of virtual time in", immediate.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--every", "1500ms", "whole seconds")]
    [InlineData("--objects", "0", "objects are 0")]
    [InlineData("--code-update", "later", "is not a code update strategy")]
    public async Task A_replay_that_cannot_run_exits_2_with_what_to_change(string option, string value, string says)
    {
        var result = await Run.CliAsync(null, "scenario", "replay", option, value);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(says, result.Stderr, StringComparison.Ordinal);
    }

    [GeneratedRegex("(?<=worker do-scenario-)[0-9a-f]{6}|(?<=Version [AB]: )[0-9a-f-]{36}")]
    private static partial Regex Hex();
}
