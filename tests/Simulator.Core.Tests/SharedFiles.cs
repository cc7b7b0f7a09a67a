namespace Simulator.Core.Tests;

/// <summary>Finds ../shared beside the repository's root, where the conformance vectors live.</summary>
internal static class SharedFiles
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Simulator.sln")))
            {
                var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(shared)
                    ? shared
                    : throw new DirectoryNotFoundException($"Expected the shared folder beside the repository at {shared}.");
            }
        }

        throw new DirectoryNotFoundException("Simulator.sln not found above " + AppContext.BaseDirectory);
    }
}
