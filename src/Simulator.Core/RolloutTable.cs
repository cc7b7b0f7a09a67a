using System.Text;

namespace Simulator.Core;

/// <summary>
/// The docs' table of a rollout: one row per deployment (its config), one column per named object,
/// each cell the version label that object runs. Both docs/semantics.md and `dosim scenario` print it.
/// </summary>
public static class RolloutTable
{
    /// <summary>Versions are labelled in the order given (e.g. A, B); each step lists (label, percent) in deployment order.</summary>
    public static string Render(IReadOnlyList<IReadOnlyList<(string Label, decimal Percentage)>> steps, IReadOnlyList<string> objectNames)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(objectNames);
        var labels = steps.SelectMany(s => s).Select(s => s.Label).Distinct().ToList();
        // Any distinct ids do: only the order and sizes of the ranges decide.
        var ids = labels.Select((label, i) => (label, id: new Guid(i + 1, 0, 0, new byte[8]))).ToDictionary(p => p.label, p => p.id);
        var rows = steps.Select(step =>
        {
            var ranges = VersionRanges.From([.. step.Select(s => new VersionShare(ids[s.Label], s.Percentage))]);
            IReadOnlyList<string> cells = [.. objectNames.Select(name => labels.First(l => ids[l] == ranges.VersionFor(DurableObjectId.FromName(DocsClass, name))))];
            return (Config(step), cells);
        }).ToList();
        return Render(rows, objectNames);
    }

    /// <summary>A row's deployment config as the docs write it: "Version B: 20% &lt;br&gt; Version A: 80%".</summary>
    public static string Config(IEnumerable<(string Label, decimal Percentage)> step) =>
        string.Join(" <br> ", step.Select(s => $"Version {s.Label}: {s.Percentage}%"));

    /// <summary>Renders rows already known (e.g. observed on a cluster) in the docs' table layout.</summary>
    public static string Render(IReadOnlyList<(string Config, IReadOnlyList<string> Cells)> rows, IReadOnlyList<string> objectNames)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(objectNames);
        var width = Math.Max("Deployment config".Length, rows.Max(r => r.Config.Length));
        var output = new StringBuilder();
        output.Append("| ").Append("Deployment config".PadRight(width)).Append(" |");
        foreach (var name in objectNames)
        {
            output.Append(" \"").Append(name).Append("\" |");
        }

        output.Append('\n').Append("| ").Append(new string('-', width)).Append(" |");
        foreach (var name in objectNames)
        {
            output.Append(' ').Append(new string('-', name.Length + 2)).Append(" |");
        }

        foreach (var (config, cells) in rows)
        {
            output.Append('\n').Append("| ").Append(config.PadRight(width)).Append(" |");
            for (var i = 0; i < cells.Count; i++)
            {
                output.Append(' ').Append(cells[i].PadRight(objectNames[i].Length + 2)).Append(" |");
            }
        }

        return output.Append('\n').ToString();
    }

    /// <summary>The docs' rollout: A100 → B20/A80 → B50/A50 → B100.</summary>
    public static IReadOnlyList<IReadOnlyList<(string Label, decimal Percentage)>> DocsRollout { get; } =
    [
        [("A", 100m)],
        [("B", 20m), ("A", 80m)],
        [("B", 50m), ("A", 50m)],
        [("B", 100m)],
    ];

    public static IReadOnlyList<string> DocsObjects { get; } = ["foo", "bar", "baz"];

    /// <summary>The class (so the namespace) of the docs' objects: the counter script's.</summary>
    public const string DocsClass = "Counter";
}
