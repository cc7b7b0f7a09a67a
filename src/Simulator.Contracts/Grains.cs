using System.Collections.Immutable;
using Orleans.Concurrency;
using Simulator.Core;

namespace Simulator.Contracts;

/// <summary>A plain deploy's or a secret change's result: the new version, its 100% deployment, and where it was applied.</summary>
[GenerateSerializer, Immutable, Alias("dosim.DeployResult")]
public sealed record DeployResult(
    [property: Id(0)] WorkerVersion Version,
    [property: Id(1)] Deployment Deployment,
    [property: Id(2)] PropagationReport Propagation);

/// <summary>
/// A new deployment (versions deploy or rollback): the deployment, the churn preview's warnings
/// against the one it replaced, and where it was applied.
/// </summary>
[GenerateSerializer, Immutable, Alias("dosim.DeploymentResult")]
public sealed record DeploymentResult(
    [property: Id(0)] Deployment Deployment,
    [property: Id(1)] ImmutableArray<string> Warnings,
    [property: Id(2)] PropagationReport Propagation);

/// <summary>
/// One per Worker (keyed by its name): the authority on its versions and deployments. Every change
/// is validated by Core; a refused one throws <see cref="RuleRefusedException"/> and changes nothing.
/// A change of deployment is saved, then pushed to every active silo; it returns once each has
/// answered, with a report of the silos that applied it (their reassigned objects have reset)
/// and those that did not (they catch up on their re-sync).
/// </summary>
[Alias("dosim.IDeploymentGrain")]
public interface IDeploymentGrain : IGrainWithStringKey
{
    /// <summary>A plain deploy. A draft with an <see cref="VersionDraft.UploadKey"/> a version already has returns that version's result and changes nothing.</summary>
    [Alias("Deploy")]
    Task<DeployResult> Deploy(VersionDraft draft, string? message, CodeUpdateStrategy? strategy);

    /// <summary>Uploads a version; with an <see cref="VersionDraft.UploadKey"/> a version already has, returns that version and changes nothing.</summary>
    [Alias("UploadVersion")]
    Task<WorkerVersion> UploadVersion(VersionDraft draft);

    [Alias("DeployVersions")]
    Task<DeploymentResult> DeployVersions(ImmutableArray<VersionShare> shares, string? message, Guid? expectedCurrentDeployment, CodeUpdateStrategy? strategy);

    /// <summary>A copy of the latest version with these secrets changed (null deletes), not deployed; secret values blanked in the answer.</summary>
    [Alias("UploadSecretVersion")]
    Task<WorkerVersion> UploadSecretVersion(ImmutableDictionary<string, string?> changes, string? message, string? tag);

    /// <summary>Refuses (<see cref="RuleRefusedException"/>) what <see cref="DeployVersions"/> would refuse, under the same rules; changes nothing.</summary>
    [Alias("ValidateDeployment"), AlwaysInterleave]
    Task ValidateDeployment(ImmutableArray<VersionShare> shares);

    [Alias("Rollback")]
    Task<DeploymentResult> Rollback(Guid? versionId, string? message, Guid? expectedCurrentDeployment, CodeUpdateStrategy? strategy = null);

    [Alias("PutSecret")]
    Task<DeployResult> PutSecret(string name, string value);

    [Alias("DeleteSecret")]
    Task<DeployResult> DeleteSecret(string name);

    // Reads interleave with a change under way (a deploy waiting on its push) and see what was
    // last saved.

    /// <summary>The whole history with secret values blanked (names only), or null if the worker was never deployed.</summary>
    [Alias("GetHistory"), AlwaysInterleave]
    Task<WorkerHistory?> GetHistory();

    /// <summary>What silos hold: the current deployment and its versions, secrets included. For silos, not clients.</summary>
    [Alias("GetSnapshot"), AlwaysInterleave]
    Task<DeploymentSnapshot> GetSnapshot();

    /// <summary>How many deployments the worker has had: what a silo compares with its copy to see that it missed one.</summary>
    [Alias("GetSequence"), AlwaysInterleave]
    Task<int> GetSequence();
}

/// <summary>One per silo (keyed by the silo's address and placed on it): applies deployments there.</summary>
[Alias("dosim.IDeploymentAgentGrain")]
public interface IDeploymentAgentGrain : IGrainWithStringKey
{
    /// <summary>Stores the snapshot in this silo's cache and resets this silo's active objects it reassigns.</summary>
    [Alias("Apply")]
    Task<SiloApplyReport> Apply(DeploymentSnapshot snapshot);

}

/// <summary>A Durable Object, keyed "worker/Class/id" (<see cref="DurableObjectKey"/>).</summary>
[Alias("dosim.IDurableObjectGrain")]
public interface IDurableObjectGrain : IGrainWithStringKey, ISocketEndpoint
{
    [Alias("Fetch")]
    Task<DurableObjectAnswer> Fetch(WorkerRequest request);

    /// <summary>
    /// Runs the object's alarm due at <paramref name="dueMs"/>, on the code of the version it is
    /// assigned, with the platform's retries; returns when its alarm is due next (a retry, or one
    /// its handler set), or null. An alarm that is not the object's current one does nothing.
    /// </summary>
    [Alias("RunAlarm")]
    Task<long?> RunAlarm(long dueMs);

    /// <summary>A JS RPC call: a method of the object's class, or one of its getters read.</summary>
    [Alias("Invoke")]
    Task<RpcAnswer> Invoke(RpcCall rpc);

    /// <summary>Re-reads this silo's copy of the deployment and resets at once if the object's version changed.</summary>
    [Alias("Refresh"), AlwaysInterleave]
    Task Refresh();

    [Alias("GetStatus"), AlwaysInterleave]
    Task<DurableObjectStatus> GetStatus();
}

/// <summary>Runs one request on the version the selector picks (a stateless worker, local to the caller's silo).</summary>
[Alias("dosim.IWorkerGrain")]
public interface IWorkerGrain : IGrainWithStringKey
{
    [Alias("Invoke")]
    Task<InvocationResult> Invoke(WorkerRequest request);

    /// <summary>A JS RPC call to one of the Worker's entrypoints (a service binding's <c>env.SERVICE.method()</c>).</summary>
    [Alias("InvokeRpc")]
    Task<RpcAnswer> InvokeRpc(ServiceCall rpc);
}

/// <summary>
/// Runs a Worker request in this process: what <see cref="IWorkerGrain"/> does, without the grain
/// call. A silo registers it, so its HTTP gateway skips a hop.
/// </summary>
public interface IWorkerInvoker
{
    Task<InvocationResult> InvokeAsync(string workerName, WorkerRequest request);

    Task<RpcAnswer> InvokeRpcAsync(string workerName, ServiceCall rpc);
}
