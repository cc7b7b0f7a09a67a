using System.Collections.Immutable;

namespace Simulator.Core;

/// <summary>
/// A deployment laid out as ordered cumulative ranges over the 64-bit hash space: the versions in
/// their listed order, each a consecutive range sized by its percentage. A point falls in exactly
/// one range. Boundaries are exact (UInt128 arithmetic on thousandths of a percent), so there is no
/// modulo bias.
/// <para>
/// A deployment's percentages may add up to anything within 0.001 of 100. Each boundary is the
/// midpoint of the cumulative share counted from the front (C) and from the back (100 - (S - C)),
/// i.e. (2C + 100 - S) / 200 of the space: exactly C / 100 when the sum S is 100. Scaling by S
/// instead would let a version whose share rises lose objects (X@50% Y@49.999% → X@50.001% Y@50%
/// would shrink X); with the midpoint, a raised share never shrinks its range, whatever the other
/// version does within the tolerance.
/// </para>
/// </summary>
public sealed class VersionRanges
{
    /// <summary>2^64: the size of the hash space.</summary>
    public static readonly UInt128 SpaceSize = (UInt128)ulong.MaxValue + 1;

    private readonly Guid[] _versions;

    // _ends[i] is the exclusive end of version i's range; the last one is always SpaceSize.
    private readonly UInt128[] _ends;

    private VersionRanges(Guid[] versions, UInt128[] ends)
    {
        _versions = versions;
        _ends = ends;
    }

    public ImmutableArray<Guid> Versions => [.. _versions];

    public static VersionRanges From(Deployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return From(deployment.Versions);
    }

    public static VersionRanges From(IReadOnlyList<VersionShare> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count == 0)
        {
            throw new ArgumentException("A deployment has at least one version.", nameof(shares));
        }

        var thousandths = new UInt128[shares.Count];
        UInt128 total = 0;
        for (var i = 0; i < shares.Count; i++)
        {
            var p = shares[i].Percentage;
            if (p < 0 || decimal.Round(p, 3) != p)
            {
                throw new ArgumentException($"Percentage {p} is not between 0 and 100 with at most 3 decimals.", nameof(shares));
            }

            thousandths[i] = (UInt128)(ulong)(p * 1000);
            total += thousandths[i];
        }

        if (total == 0)
        {
            throw new ArgumentException("The percentages add up to 0.", nameof(shares));
        }

        var versions = new Guid[shares.Count];
        var ends = new UInt128[shares.Count];
        UInt128 cumulative = 0;
        for (var i = 0; i < shares.Count; i++)
        {
            versions[i] = shares[i].VersionId;
            cumulative += thousandths[i];
            ends[i] = i == shares.Count - 1 ? SpaceSize : Boundary(cumulative, total);
        }

        return new VersionRanges(versions, ends);
    }

    // (2C + 100% - S) / 200% of the space, clamped to it. The numerator stays below 2^28, so
    // shifting it by 64 bits fits in 128.
    private static UInt128 Boundary(UInt128 cumulative, UInt128 total)
    {
        const int Hundred = 100_000;
        var doubled = (2 * cumulative) + Hundred;
        var numerator = doubled <= total ? UInt128.Zero : UInt128.Min(doubled - total, 2 * Hundred);
        return (numerator << 64) / (2 * Hundred);
    }

    /// <summary>The version whose range holds this point.</summary>
    public Guid VersionAt(ulong point)
    {
        var ends = _ends;
        for (var i = 0; i < ends.Length - 1; i++)
        {
            if (point < ends[i])
            {
                return _versions[i];
            }
        }

        return _versions[^1];
    }

    /// <summary>The version of the object with this id (or of requests with this version key).</summary>
    public Guid VersionFor(ReadOnlySpan<char> idOrKey) => VersionAt(StableHash.Point(idOrKey));

    public bool Contains(Guid versionId) => Array.IndexOf(_versions, versionId) >= 0;

    /// <summary>Each version's range as [Start, End) over the hash space, in listed order.</summary>
    public IEnumerable<(Guid Version, UInt128 Start, UInt128 End)> Ranges()
    {
        UInt128 start = 0;
        for (var i = 0; i < _versions.Length; i++)
        {
            yield return (_versions[i], start, _ends[i]);
            start = _ends[i];
        }
    }

    /// <summary>The number of points a version's range holds, 0 for a version not listed.</summary>
    public UInt128 Size(Guid versionId)
    {
        UInt128 size = 0;
        foreach (var (version, start, end) in Ranges())
        {
            if (version == versionId)
            {
                size += end - start;
            }
        }

        return size;
    }
}
