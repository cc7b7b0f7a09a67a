namespace Simulator.Core;

/// <summary>The part of the hash space that moves from one version to another.</summary>
public sealed record ChurnPair(Guid From, Guid To, UInt128 Points)
{
    /// <summary>The share of all objects that move, between 0 and 1.</summary>
    public double Share => (double)Points / (double)VersionRanges.SpaceSize;
}

/// <summary>An object that the proposed deployment moves to another version.</summary>
public readonly record struct ObjectChange(string ObjectId, Guid From, Guid To);

/// <summary>
/// What a proposed deployment changes against the current one: the exact share of the hash space
/// (so of Durable Objects) per (from → to) pair, and a warning for each version that is listed at
/// another position, keeps or grows its share, and still loses objects: listed at the same position,
/// a raised share never loses any (see <see cref="VersionRanges"/>).
/// </summary>
public sealed record ChurnPreview(VersionRanges? Current, VersionRanges Proposed, IReadOnlyList<ChurnPair> Pairs, IReadOnlyList<string> Warnings)
{
    /// <summary>All the points that change version.</summary>
    public UInt128 ChangedPoints => Pairs.Aggregate(UInt128.Zero, (sum, pair) => sum + pair.Points);

    /// <summary>The share of all objects that change version (and so reset), between 0 and 1.</summary>
    public double ChangedShare => (double)ChangedPoints / (double)VersionRanges.SpaceSize;

    /// <summary>Compares two deployments. With no current deployment nothing moves: objects simply start.</summary>
    public static ChurnPreview Compute(Deployment? current, Deployment proposed)
    {
        ArgumentNullException.ThrowIfNull(proposed);
        var proposedRanges = VersionRanges.From(proposed);
        if (current is null)
        {
            return new ChurnPreview(null, proposedRanges, [], []);
        }

        var currentRanges = VersionRanges.From(current);
        var moved = new Dictionary<(Guid From, Guid To), UInt128>();
        foreach (var (from, fromStart, fromEnd) in currentRanges.Ranges())
        {
            foreach (var (to, toStart, toEnd) in proposedRanges.Ranges())
            {
                var start = UInt128.Max(fromStart, toStart);
                var end = UInt128.Min(fromEnd, toEnd);
                if (from != to && end > start)
                {
                    moved[(from, to)] = moved.GetValueOrDefault((from, to)) + (end - start);
                }
            }
        }

        var pairs = moved.Select(m => new ChurnPair(m.Key.From, m.Key.To, m.Value)).OrderByDescending(p => p.Points).ToList();
        var warnings = new List<string>();
        for (var position = 0; position < current.Versions.Length; position++)
        {
            var share = current.Versions[position];
            var newPosition = Position(proposed, share.VersionId);
            if (newPosition < 0 || newPosition == position)
            {
                continue;
            }

            // Configured shares, not range sizes: those differ by a point of rounding with the position.
            var before = share.Percentage;
            var after = proposed.Versions[newPosition].Percentage;
            var lost = pairs.Where(p => p.From == share.VersionId).Aggregate(UInt128.Zero, (sum, p) => sum + p.Points);
            if (after >= before && lost > 0)
            {
                warnings.Add($"Version {share.VersionId} keeps or grows its share ({before}% -> {after}%) yet {Percent(lost)} of all objects move off it, "
                    + "because the versions are listed in a different order than in the current deployment. List them in the same order to move only the objects that must move.");
            }
        }

        return new ChurnPreview(currentRanges, proposedRanges, pairs, warnings);
    }

    /// <summary>Which of these objects change version.</summary>
    public List<ObjectChange> ChangedObjects(IEnumerable<string> objectIds)
    {
        ArgumentNullException.ThrowIfNull(objectIds);
        var changes = new List<ObjectChange>();
        if (Current is null)
        {
            return changes;
        }

        foreach (var id in objectIds)
        {
            var point = StableHash.Point(id);
            var from = Current.VersionAt(point);
            var to = Proposed.VersionAt(point);
            if (from != to)
            {
                changes.Add(new ObjectChange(id, from, to));
            }
        }

        return changes;
    }

    private static int Position(Deployment deployment, Guid versionId)
    {
        for (var i = 0; i < deployment.Versions.Length; i++)
        {
            if (deployment.Versions[i].VersionId == versionId)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Percent(UInt128 points) =>
        ((double)points / (double)VersionRanges.SpaceSize * 100).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
