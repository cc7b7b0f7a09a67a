using Simulator.Contracts;

namespace Simulator.Grains.Hosting;

/// <summary>
/// A silo's guard on the one call that carries secret values: a Worker's deployment snapshot is for
/// silos (their grains, and their own hosted client, "hosted-&lt;silo address&gt;" in Orleans), never for
/// an Orleans client at the gateway port, which reads Workers through the query API, secret values
/// blanked. (Orleans trusts its clients' identities; a client that forged a silo's hosted identity
/// would pass: keep the gateway port off untrusted networks, as docs/cluster.md says.)
/// </summary>
public sealed class SecretsStayInTheCluster(IClusterMembershipService membership) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.MethodName == nameof(IDeploymentGrain.GetSnapshot) && context.InterfaceName == typeof(IDeploymentGrain).FullName
            && context.SourceId is { } source && source.IsClient() && !IsSilo(source.Key.ToString()))
        {
            throw new UnauthorizedAccessException("A Worker's deployment snapshot holds its secrets' values and is for the cluster's silos only: read the Worker through IWorkerQueryGrain (History, Versions), where secret values are blanked.");
        }

        return context.Invoke();
    }

    private bool IsSilo(string? clientKey) =>
        clientKey is not null && clientKey.StartsWith("hosted-", StringComparison.Ordinal)
        && membership.CurrentSnapshot.Members.Keys.Any(s => clientKey.AsSpan(7).SequenceEqual(s.ToParsableString()));
}
