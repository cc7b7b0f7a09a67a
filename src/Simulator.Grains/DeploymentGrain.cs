using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Hosting;
using Simulator.Grains.Scripts;

namespace Simulator.Grains;

[GenerateSerializer, Alias("dosim.DeploymentGrainState")]
public sealed class DeploymentGrainState
{
    /// <summary>Null until the worker's first deploy.</summary>
    [Id(0)] public WorkerHistory? History { get; set; }
}

/// <summary>
/// The authority on one Worker's versions and deployments. Every change is decided by Core against
/// the stored history; a storage conflict (another activation wrote first) re-reads and decides
/// again. After a change of deployment it pushes the new snapshot to every active silo and returns
/// once each has applied it.
/// </summary>
public sealed partial class DeploymentGrain(
    [PersistentState("worker", DurableObjectsSimulatorOptions.StorageName)] IPersistentState<DeploymentGrainState> state,
    DurableObjectsSimulatorOptions options,
    ScriptCatalog scripts,
    TimeProvider time,
    ILogger<DeploymentGrain> logger) : Grain, IDeploymentGrain
{
    private const int MaxDecisions = 3;

    private string WorkerName => this.GetPrimaryKeyString();

    public async Task<DeployResult> Deploy(VersionDraft draft, string? message)
    {
        CheckDraft(draft);
        var history = await Change(h => h.Deploy(draft, message, time.GetUtcNow()), createIfMissing: true);
        return new DeployResult(history.LatestVersion!, history.CurrentDeployment!);
    }

    public async Task<WorkerVersion> UploadVersion(VersionDraft draft)
    {
        CheckDraft(draft);
        return (await Change(h => h.UploadVersion(draft, time.GetUtcNow()))).LatestVersion!;
    }

    public async Task<Deployment> DeployVersions(ImmutableArray<VersionShare> shares, string? message, Guid? expectedCurrentDeployment) =>
        (await Change(h => h.DeployVersions(shares, message, time.GetUtcNow(), expectedCurrentDeployment))).CurrentDeployment!;

    public async Task<Deployment> Rollback(Guid? versionId, string? message, Guid? expectedCurrentDeployment) =>
        (await Change(h => h.Rollback(versionId, message, time.GetUtcNow(), expectedCurrentDeployment))).CurrentDeployment!;

    public async Task<WorkerVersion> PutSecret(string name, string value) =>
        (await Change(h => h.PutSecret(name, value, time.GetUtcNow()))).LatestVersion!;

    public async Task<WorkerVersion> DeleteSecret(string name) =>
        (await Change(h => h.DeleteSecret(name, time.GetUtcNow()))).LatestVersion!;

    public Task<WorkerHistory?> GetHistory() => Task.FromResult(state.State.History);

    public Task<DeploymentSnapshot> GetSnapshot() => Task.FromResult(Snapshot(state.State.History));

    private DeploymentSnapshot Snapshot(WorkerHistory? history) =>
        history is null ? new DeploymentSnapshot { WorkerName = WorkerName, Sequence = 0 } : DeploymentSnapshot.From(history);

    private async Task<WorkerHistory> Change(Func<WorkerHistory, WorkerHistory> change, bool createIfMissing = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            var before = state.State.History;
            WorkerHistory after;
            try
            {
                before ??= createIfMissing
                    ? WorkerHistory.Create(WorkerName, new WorkerRules { DeployableWindow = options.DeployableWindow })
                    : throw new RuleViolationException(new RuleError(RuleError.WorkerNotDeployed, $"Worker '{WorkerName}' does not exist yet: create it with a plain deploy (`dosim deploy`)."));
                after = change(before);
            }
            catch (RuleViolationException ex)
            {
                throw new RuleRefusedException(ex.Error);
            }

            state.State.History = after;
            try
            {
                await state.WriteStateAsync();
            }
            catch (InconsistentStateException) when (attempt < MaxDecisions)
            {
                // Another activation wrote first: decide again against what it wrote.
                LogConflict(logger, WorkerName, attempt);
                await state.ReadStateAsync();
                continue;
            }
            catch
            {
                state.State.History = before;
                throw;
            }

            if (after.Deployments.Count != (before?.Deployments.Count ?? 0))
            {
                await Propagate(Snapshot(after));
            }

            return after;
        }
    }

    private async Task Propagate(DeploymentSnapshot snapshot)
    {
        var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        await Task.WhenAll(hosts.Keys.Select(async silo =>
        {
            try
            {
                await GrainFactory.GetGrain<IDeploymentAgentGrain>(silo.ToParsableString()).Apply(snapshot);
            }
            catch (Exception ex) when (ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
            {
                // A silo that is leaving gets nothing; one that joins later reads the snapshot itself.
                LogUnreachable(logger, snapshot.Sequence, silo, ex.Message);
            }
        }));
    }

    private void CheckDraft(VersionDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (!scripts.Scripts.ContainsKey(draft.Script))
        {
            throw new RuleRefusedException(new RuleError(RuleError.InvalidInput, $"No script named '{draft.Script}' is registered on the silo: use one of {scripts.Names}."));
        }

        if (SimulationVars.Validate(draft.Vars) is { } error)
        {
            throw new RuleRefusedException(error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment state of {Worker} changed underneath (attempt {Attempt}); deciding again")]
    private static partial void LogConflict(ILogger logger, string worker, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Sequence} not delivered to silo {Silo}: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, int sequence, SiloAddress silo, string reason);
}
