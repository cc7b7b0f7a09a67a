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

    [GeneratedRegex("(?<=worker do-scenario-)[0-9a-f]{6}|(?<=Version [AB]: )[0-9a-f-]{36}")]
    private static partial Regex Hex();
}
