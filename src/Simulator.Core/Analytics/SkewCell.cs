namespace Simulator.Core.Analytics;

/// <summary>
/// One cell of a rollout's version skew matrix: the calls a Durable Object class took under one
/// deployment from code of one version (a Worker, or another object) while the object ran another
/// (or the same) version, and how many failed.
/// </summary>
public sealed record SkewCell(string ClassName, Guid DeploymentId, Guid CallerVersionId, Guid ObjectVersionId, long Requests, long Errors)
{
    /// <summary>The caller and the object run different versions.</summary>
    public bool Skewed => CallerVersionId != ObjectVersionId;

    public double? ErrorRate => Requests == 0 ? null : (double)Errors / Requests;

    /// <summary>
    /// Adds up cells with the same class, deployment and pair of versions (one per silo), ordered by
    /// class, then deployment in <paramref name="deploymentOrder"/> (unknown ones last), then caller
    /// and object version.
    /// </summary>
    public static IReadOnlyList<SkewCell> Merge(IEnumerable<SkewCell> cells, IReadOnlyList<Guid> deploymentOrder)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(deploymentOrder);
        var rank = new Dictionary<Guid, int>();
        for (var i = 0; i < deploymentOrder.Count; i++)
        {
            rank.TryAdd(deploymentOrder[i], i);
        }

        return [.. cells
            .GroupBy(c => (c.ClassName, c.DeploymentId, c.CallerVersionId, c.ObjectVersionId))
            .Select(g => new SkewCell(g.Key.ClassName, g.Key.DeploymentId, g.Key.CallerVersionId, g.Key.ObjectVersionId, g.Sum(c => c.Requests), g.Sum(c => c.Errors)))
            .OrderBy(c => c.ClassName, StringComparer.Ordinal)
            .ThenBy(c => rank.GetValueOrDefault(c.DeploymentId, int.MaxValue))
            .ThenBy(c => c.DeploymentId)
            .ThenBy(c => c.CallerVersionId)
            .ThenBy(c => c.ObjectVersionId)];
    }
}
