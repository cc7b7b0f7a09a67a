using System.Collections.Immutable;
using System.Globalization;

namespace Simulator.Core;

/// <summary>A version spec as the platform's CLI writes it: <c>&lt;id|tag&gt;@&lt;percent&gt;%</c> (the % optional), e.g. B@20%.</summary>
public readonly record struct VersionSpec(string Version, decimal Percentage)
{
    public static bool TryParse(string? spec, out VersionSpec parsed)
    {
        parsed = default;
        var at = spec?.LastIndexOf('@') ?? -1;
        if (spec is null || at <= 0)
        {
            return false;
        }

        var percent = spec[(at + 1)..];
        percent = percent.EndsWith('%') ? percent[..^1] : percent;
        if (!decimal.TryParse(percent, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        parsed = new VersionSpec(spec[..at], value);
        return true;
    }

    /// <summary>
    /// Specs where those without a percentage ("B") get the share the others leave, split evenly,
    /// as wrangler does: "B@20%", "A" → "B@20%", "A@80%". Specs that all have one come back as they are.
    /// </summary>
    public static ImmutableArray<string> WithEvenSplit(IReadOnlyList<string> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var given = 0m;
        var missing = 0;
        foreach (var spec in specs)
        {
            if (!spec.Contains('@', StringComparison.Ordinal))
            {
                missing++;
            }
            else if (TryParse(spec, out var parsed))
            {
                given += parsed.Percentage;
            }
        }

        // Nothing to fill, or nothing left to share: the specs as given, refused as given.
        if (missing == 0 || given > 100)
        {
            return [.. specs];
        }

        var share = decimal.Round((100 - given) / missing, 3);
        return [.. specs.Select(s => s.Contains('@', StringComparison.Ordinal) ? s : $"{s}@{share.ToString(CultureInfo.InvariantCulture)}%")];
    }

    /// <summary>The share this spec names in the history: its version found by id, unique tag or "latest".</summary>
    public static VersionShare Resolve(WorkerHistory history, string spec)
    {
        ArgumentNullException.ThrowIfNull(history);
        return TryParse(spec, out var parsed)
            ? new VersionShare(history.ResolveVersion(parsed.Version).Id, parsed.Percentage)
            : throw new RuleViolationException(new RuleError(RuleError.InvalidInput, $"'{spec}' is not a version spec: write <version-id|tag>@<percent>%, e.g. {history.LatestVersion?.Id.ToString() ?? "B"}@20%."));
    }
}
