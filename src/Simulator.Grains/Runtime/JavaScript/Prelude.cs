namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>The runtime's JavaScript half (prelude.js, embedded): Request, Response, URL, env, storage, …</summary>
internal static class Prelude
{
    public static string Source { get; } = Load();

    private static string Load()
    {
        using var stream = typeof(Prelude).Assembly.GetManifestResourceStream("Simulator.Grains.Runtime.JavaScript.prelude.js")
            ?? throw new InvalidOperationException("The JavaScript prelude is missing from the Simulator.Grains assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
