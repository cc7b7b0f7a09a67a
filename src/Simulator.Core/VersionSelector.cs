using Simulator.Core.StructuredFields;

namespace Simulator.Core;

/// <summary>The platform's request headers that steer version selection.</summary>
public static class VersionHeaders
{
    public const string Overrides = "Cloudflare-Workers-Version-Overrides";
    public const string Key = "Cloudflare-Workers-Version-Key";
}

/// <summary>Why a request got its version.</summary>
public enum SelectionReason
{
    Override,
    VersionKey,
    Random,
}

/// <summary>How a reason is spelled wherever it is shown: diagnostic header, span attribute.</summary>
public static class SelectionReasons
{
    public static string Name(this SelectionReason reason) => reason switch
    {
        SelectionReason.Override => "override",
        SelectionReason.VersionKey => "version-key",
        _ => "random",
    };
}

public readonly record struct VersionSelection(Guid VersionId, SelectionReason Reason);

/// <summary>
/// Picks the worker version for one request, in the platform's order of precedence:
/// a valid override for this worker naming a version of the current deployment (0% included),
/// else the version key hashed through the deployment's ranges, else a weighted random draw.
/// </summary>
public static class VersionSelector
{
    public static VersionSelection Select(string workerName, VersionRanges ranges, string? overridesHeader, string? versionKey, Random random)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(random);
        if (TryReadOverride(overridesHeader, workerName, ranges, out var overridden))
        {
            return new(overridden, SelectionReason.Override);
        }

        if (!string.IsNullOrEmpty(versionKey))
        {
            return new(ranges.VersionFor(versionKey), SelectionReason.VersionKey);
        }

        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        random.NextBytes(bytes);
        return new(ranges.VersionAt(BitConverter.ToUInt64(bytes)), SelectionReason.Random);
    }

    /// <summary>
    /// The version the override header names for this worker, when the header is a valid RFC 9651
    /// Dictionary, its member for the worker is a String holding a version id, and that version is
    /// in the deployment. Anything else is ignored silently, as on the platform.
    /// </summary>
    public static bool TryReadOverride(string? header, string workerName, VersionRanges ranges, out Guid versionId)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        versionId = Guid.Empty;
        if (string.IsNullOrEmpty(header)
            || !StructuredFieldParser.TryParseDictionary(header, out var dictionary, out _)
            || dictionary[workerName] is not Item { Value: { Kind: BareItemKind.String, Text: var text } }
            || !Guid.TryParse(text, out var parsed)
            || !ranges.Contains(parsed))
        {
            return false;
        }

        versionId = parsed;
        return true;
    }
}
