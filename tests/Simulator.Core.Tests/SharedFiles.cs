namespace Simulator.Core.Tests;

/// <summary>Finds the repository's root, and ../shared beside it where the conformance vectors live.</summary>
internal static class SharedFiles
{
    public static string RepositoryRoot { get; } = FindRepository();

    private static readonly Lazy<string> Shared = new(FindShared);

    public static string Root => Shared.Value;

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Simulator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Simulator.sln not found above " + AppContext.BaseDirectory);
    }

    private static string FindShared()
    {
        var shared = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));
        return Directory.Exists(shared)
            ? shared
            : throw new DirectoryNotFoundException($"Expected the shared folder beside the repository at {shared}.");
    }
}
