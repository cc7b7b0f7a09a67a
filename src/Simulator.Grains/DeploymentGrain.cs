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
/// the stored history, under the rules this silo is configured with now; a storage conflict (another
/// activation wrote first) re-reads and decides again. After a change of deployment it pushes the new
/// snapshot to every active silo and reports which applied it; a silo that missed it catches up on
/// its own (<see cref="DeploymentResync"/>).
/// </summary>
public sealed partial class DeploymentGrain(
    [PersistentState("worker", DurableObjectsSimulatorOptions.StorageName)] IPersistentState<DeploymentGrainState> state,
    DurableObjectsSimulatorOptions options,
    ScriptCatalog scripts,
    TimeProvider time,
    ILogger<DeploymentGrain> logger) : Grain, IDeploymentGrain
{
    private const int MaxDecisions = 3;

    // The history as last saved: what reads see, while a change may be deciding or writing.
    private WorkerHistory? _saved;

    // The same with secret values blanked, made once per save rather than per read.
    private WorkerHistory? _shown;

    private string WorkerName => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Saved(state.State.History);
        return Task.CompletedTask;
    }

    private WorkerRules Rules => new() { DeployableWindow = options.DeployableWindow };

    public async Task<DeployResult> Deploy(VersionDraft draft, string? message, CodeUpdateStrategy? strategy)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (_saved?.FindUpload(draft.UploadKey) is { } retried && _saved.CurrentDeployment is { } deployment && deployment.Contains(retried.Id))
        {
            // A retry of a deploy that was made: its result again, with nothing pushed.
            return new DeployResult(retried.WithoutSecretValues(), deployment, new PropagationReport { Sequence = _saved.Deployments.Count, ResyncInterval = options.ResyncInterval });
        }

        draft = await StoreAssetsAsync(CheckDraft(draft));
        var (history, propagation) = await Change(h => h.Deploy(draft, message, time.GetUtcNow(), strategy), createIfMissing: true);
        return new DeployResult(history.LatestVersion!.WithoutSecretValues(), history.CurrentDeployment!, propagation!);
    }

    public async Task<WorkerVersion> UploadVersion(VersionDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (_saved?.FindUpload(draft.UploadKey) is { } retried)
        {
            return retried.WithoutSecretValues();
        }

        draft = await StoreAssetsAsync(CheckDraft(draft));
        return (await Change(h => h.UploadVersion(draft, time.GetUtcNow()))).History.LatestVersion!.WithoutSecretValues();
    }

    public async Task<WorkerVersion> UploadSecretVersion(ImmutableDictionary<string, string?> changes, string? message, string? tag) =>
        (await Change(h => h.UploadSecretVersion(changes, message, tag, time.GetUtcNow()))).History.LatestVersion!.WithoutSecretValues();

    public async Task<DeploymentResult> DeployVersions(ImmutableArray<VersionShare> shares, string? message, Guid? expectedCurrentDeployment, CodeUpdateStrategy? strategy)
    {
        Deployment? replaced = null;
        var (history, propagation) = await Change(h =>
        {
            replaced = h.CurrentDeployment;
            return h.DeployVersions(shares, message, time.GetUtcNow(), expectedCurrentDeployment, Rules, strategy);
        });
        return Result(replaced, history, propagation!);
    }

    public Task ValidateDeployment(ImmutableArray<VersionShare> shares)
    {
        var history = _saved
            ?? throw new RuleRefusedException(new RuleError(RuleError.WorkerNotDeployed, $"Worker '{WorkerName}' does not exist yet: create it with a plain deploy (`dosim deploy`)."));
        return history.ValidateShares(shares, Rules) is { } error ? throw new RuleRefusedException(error) : Task.CompletedTask;
    }

    public async Task<DeploymentResult> Rollback(Guid? versionId, string? message, Guid? expectedCurrentDeployment, CodeUpdateStrategy? strategy = null)
    {
        Deployment? replaced = null;
        var (history, propagation) = await Change(h =>
        {
            replaced = h.CurrentDeployment;
            return h.Rollback(versionId, message, time.GetUtcNow(), expectedCurrentDeployment, Rules, strategy);
        });
        return Result(replaced, history, propagation!);
    }

    public async Task<DeployResult> PutSecret(string name, string value)
    {
        var (history, propagation) = await Change(h => h.PutSecret(name, value, time.GetUtcNow()));
        return new DeployResult(history.LatestVersion!.WithoutSecretValues(), history.CurrentDeployment!, propagation!);
    }

    public async Task<DeployResult> DeleteSecret(string name)
    {
        var (history, propagation) = await Change(h => h.DeleteSecret(name, time.GetUtcNow()));
        return new DeployResult(history.LatestVersion!.WithoutSecretValues(), history.CurrentDeployment!, propagation!);
    }

    public Task<WorkerHistory?> GetHistory() => Task.FromResult(_shown);

    public Task<DeploymentSnapshot> GetSnapshot() => Task.FromResult(Snapshot(_saved));

    public Task<int> GetSequence() => Task.FromResult(_saved?.Deployments.Count ?? 0);

    private void Saved(WorkerHistory? history) => (_saved, _shown) = (history, history?.WithoutSecretValues());

    private DeploymentSnapshot Snapshot(WorkerHistory? history) =>
        history is null ? new DeploymentSnapshot { WorkerName = WorkerName, Sequence = 0 } : DeploymentSnapshot.From(history);

    private static DeploymentResult Result(Deployment? replaced, WorkerHistory history, PropagationReport propagation) =>
        new(history.CurrentDeployment!, [.. ChurnPreview.Compute(replaced, history.CurrentDeployment!).Warnings], propagation);

    /// <summary>Decides and saves a change; pushes the new deployment when there is one (the report is null otherwise).</summary>
    private async Task<(WorkerHistory History, PropagationReport? Propagation)> Change(Func<WorkerHistory, WorkerHistory> change, bool createIfMissing = false)
    {
        if (WorkerNames.Validate(WorkerName) is { } invalid)
        {
            throw new RuleRefusedException(invalid);
        }

        for (var attempt = 1; ; attempt++)
        {
            var before = state.State.History;
            WorkerHistory after;
            try
            {
                before ??= createIfMissing
                    ? WorkerHistory.Create(WorkerName)
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
                Saved(state.State.History);
                continue;
            }
            catch
            {
                state.State.History = before;
                throw;
            }

            Saved(after);

            return after.Deployments.Count != (before?.Deployments.Count ?? 0)
                ? (after, await Propagate(Snapshot(after)))
                : (after, null);
        }
    }

    // The deployment is saved before this runs: a silo that cannot be reached is reported, not an
    // error, and catches up by itself on its re-sync timer.
    private async Task<PropagationReport> Propagate(DeploymentSnapshot snapshot)
    {
        var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var outcomes = await Task.WhenAll(hosts.Keys.Select(async silo =>
        {
            var key = silo.ToParsableString();
            try
            {
                return (Applied: await GrainFactory.GetGrain<IDeploymentAgentGrain>(key).Apply(snapshot), Missed: (SiloMiss?)null);
            }
            catch (Exception ex)
            {
                // Unreachable, timed out, or failed there: in every case that silo has not applied it.
                LogUnreachable(logger, snapshot.Sequence, silo, ex.Message);
                return (Applied: (SiloApplyReport?)null, Missed: new SiloMiss(key, ex.GetBaseException().Message));
            }
        }));
        return new PropagationReport
        {
            Sequence = snapshot.Sequence,
            Applied = [.. outcomes.Where(o => o.Applied is not null).Select(o => o.Applied!).OrderBy(r => r.Silo, StringComparer.Ordinal)],
            Missed = [.. outcomes.Where(o => o.Missed is not null).Select(o => o.Missed!).OrderBy(m => m.Silo, StringComparer.Ordinal)],
            ResyncInterval = options.ResyncInterval,
        };
    }

    // A version's assets are stored (those it brings) and must all be in the cluster: a version
    // never names content it cannot serve.
    private async Task<VersionDraft> StoreAssetsAsync(VersionDraft draft)
    {
        if (draft.Code?.Assets is not { } assets)
        {
            return draft.AssetContents.IsEmpty ? draft : draft with { AssetContents = draft.AssetContents.Clear() };
        }

        await Task.WhenAll(draft.AssetContents.Select(c => GrainFactory.GetGrain<IAssetContentGrain>(c.Key).Put(c.Value)));
        var hashes = assets.Files.Values.Select(f => f.Hash).Distinct(StringComparer.Ordinal).ToList();
        var held = await Task.WhenAll(hashes.Select(h => GrainFactory.GetGrain<IAssetContentGrain>(h).Has()));
        var missing = hashes.Where((_, i) => !held[i]).ToList();
        if (missing.Count > 0)
        {
            var path = assets.Files.First(f => f.Value.Hash == missing[0]).Key;
            throw new RuleRefusedException(new RuleError(RuleError.InvalidInput, $"The version's assets name {missing.Count} file(s) whose content was never uploaded ({path}, hash {missing[0]}): upload the assets first (wrangler deploy uploads them; dosim deploy --config reads them from the assets directory)."));
        }

        return draft with { AssetContents = draft.AssetContents.Clear() };
    }

    // The silo knows what a built-in script exports; whatever the caller said about its classes is
    // replaced. A JavaScript version's classes are those its wrangler configuration declares.
    private VersionDraft CheckDraft(VersionDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (draft.Code is { } code)
        {
            // Modules Core refuses (no module, a bad name) are refused by Core, with its words.
            if (WorkerCode.Validate(code.Modules) is null && scripts.JavaScript?.Check(draft, WorkerName) is { } loadFailure)
            {
                throw new RuleRefusedException(new RuleError(RuleError.ScriptLoadFailed, loadFailure));
            }
        }
        else if (!scripts.Scripts.TryGetValue(draft.Script, out var script))
        {
            throw new RuleRefusedException(new RuleError(RuleError.InvalidInput, $"No script named '{draft.Script}' is registered on the silo: use one of {scripts.Names}, or bring your own Worker with --module."));
        }
        else
        {
            draft = draft with { DurableObjectClasses = [.. script.DurableObjectClasses.Keys] };
        }

        if (SimulationVars.Validate(draft.Vars) is { } error)
        {
            throw new RuleRefusedException(error);
        }

        return draft;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment state of {Worker} changed underneath (attempt {Attempt}); deciding again")]
    private static partial void LogConflict(ILogger logger, string worker, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Sequence} not delivered to silo {Silo}: {Reason}; it re-syncs on its own")]
    private static partial void LogUnreachable(ILogger logger, int sequence, SiloAddress silo, string reason);
}
