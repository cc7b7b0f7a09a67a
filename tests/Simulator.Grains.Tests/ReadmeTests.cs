namespace Simulator.Grains.Tests;

/// <summary>The Testing README's example is the test ReadmeExampleTests.cs, word for word.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void The_testing_readme_shows_the_example_that_the_suite_runs()
    {
        var root = Core.Tests.SharedFiles.RepositoryRoot;
        var readme = File.ReadAllText(Path.Combine(root, "src", "Simulator.Testing", "README.md")).ReplaceLineEndings("\n");
        var example = File.ReadAllText(Path.Combine(root, "tests", "Simulator.Grains.Tests", "ReadmeExampleTests.cs")).ReplaceLineEndings("\n");
        const string Fence = "```csharp\n";
        var start = readme.IndexOf(Fence, StringComparison.Ordinal);
        Assert.True(start >= 0, "the README has no ```csharp block");
        var end = readme.IndexOf("```\n", start + Fence.Length, StringComparison.Ordinal);
        Assert.Equal(example, readme[(start + Fence.Length)..end]);
    }
}
