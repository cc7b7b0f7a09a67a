namespace Simulator.Core.Tests;

/// <summary>The docs' example: A100 → B20/A80 → B50/A50 → B100 on foo, bar and baz.</summary>
public sealed class DocsScenarioTests
{
    private const string DocsTable = """
        | Deployment config                  | "foo" | "bar" | "baz" |
        | ---------------------------------- | ----- | ----- | ----- |
        | Version A: 100%                    | A     | A     | A     |
        | Version B: 20% <br> Version A: 80% | B     | A     | A     |
        | Version B: 50% <br> Version A: 50% | B     | B     | A     |
        | Version B: 100%                    | B     | B     | B     |

        """;

    [Fact]
    public void Core_gives_the_docs_table() =>
        Assert.Equal(DocsTable, RolloutTable.Render(RolloutTable.DocsRollout, RolloutTable.DocsObjects));

    [Fact]
    public void The_semantics_doc_shows_the_table_core_gives()
    {
        var doc = File.ReadAllText(Path.Combine(SharedFiles.RepositoryRoot, "docs", "semantics.md"));
        Assert.Contains(RolloutTable.Render(RolloutTable.DocsRollout, RolloutTable.DocsObjects), doc.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Through_the_history_each_object_changes_version_exactly_once()
    {
        var now = TestWorkers.Now;
        var history = WorkerHistory.Create("my-worker").Deploy(TestWorkers.Draft("A"), null, now).UploadVersion(TestWorkers.Draft("B"), now);
        var a = history.V(1);
        var b = history.V(2);
        history = history.DeployVersions([new(b, 20), new(a, 80)], null, now)
            .DeployVersions([new(b, 50), new(a, 50)], null, now)
            .DeployVersions([new(b, 100)], null, now);
        foreach (var name in RolloutTable.DocsObjects)
        {
            var id = DurableObjectId.FromName(RolloutTable.DocsClass, name);
            var versions = history.Deployments.Select(d => VersionRanges.From(d).VersionFor(id)).ToList();
            Assert.Equal(1, versions.Zip(versions.Skip(1)).Count(p => p.First != p.Second));
            Assert.Equal(a, versions[0]);
            Assert.Equal(b, versions[^1]);
        }
    }
}
