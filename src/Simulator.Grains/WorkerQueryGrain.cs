using System.Collections.Immutable;
using Orleans.Concurrency;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains;

/// <summary>
/// The query API: every read of a Worker, answered here from the deployment grain, the object
/// index and every silo's telemetry agent, so the CLI, the test helpers and the REST API only format.
/// </summary>
[StatelessWorker, Reentrant]
public sealed class WorkerQueryGrain(Hosting.DurableObjectsSimulatorOptions options, Time.SimulatedClock clock) : Grain, IWorkerQueryGrain
{
    private string WorkerName => this.GetPrimaryKeyString();

    private IDeploymentGrain Deployments => GrainFactory.GetGrain<IDeploymentGrain>(WorkerName);

    public Task<WorkerHistory?> History() => Deployments.GetHistory();

    public async Task<WorkerVersion> Version(string idOrTag)
    {
        var history = await ExistingAsync();
        return Decide(() => history.ResolveVersion(idOrTag));
    }

    public async Task<ImmutableArray<Guid>> Deployable()
    {
        var history = await ExistingAsync();
        return [.. history.DeployableVersions(new WorkerRules { DeployableWindow = options.DeployableWindow }).Select(v => v.Id)];
    }

    public async Task<ImmutableArray<VersionShare>> Resolve(ImmutableArray<string> specs)
    {
        var history = await ExistingAsync();
        return Decide(() => specs.Select(s => VersionSpec.Resolve(history, s)).ToImmutableArray());
    }

    public async Task<PreviewReport> Preview(ImmutableArray<string> specs, int listLimit, CodeUpdateStrategy? strategy = null)
    {
        if (strategy?.Validate() is { } invalid)
        {
            throw new RuleRefusedException(invalid);
        }

        var history = await ExistingAsync();
        var shares = Decide(() => specs.Select(s => VersionSpec.Resolve(history, s)).ToImmutableArray());
        await Deployments.ValidateDeployment(shares);
        var proposed = new Deployment { Id = Guid.Empty, CreatedOn = DateTimeOffset.UnixEpoch, Source = DeploymentSource.VersionsDeploy, Versions = shares };
        var preview = ChurnPreview.Compute(history.CurrentDeployment, proposed);
        var active = await ActiveAsync();
        var running = active
            .Select(a => (Key: DurableObjectKey.Parse(a.Key), a.Value.Version))
            .Select(a => new RunningObject(a.Key.ClassName, a.Key.ObjectId, a.Version))
            .ToLookup(r => ObjectIndex.PartitionOf(r.ObjectId));
        var parts = await Task.WhenAll(IndexPartitions().Select((p, i) => p.Changes(proposed, Math.Max(0, listLimit), [.. running[i]])));

        var ranges = preview.Proposed;
        var activeIds = active.Keys.ToHashSet(StringComparer.Ordinal);
        var moving = active.Where(a => ranges.VersionFor(DurableObjectKey.Parse(a.Key).ObjectId) != a.Value.Version).Select(a => a.Key).ToList();
        var pending = moving.Count == 0 ? [] : await PendingAsync();
        var effective = strategy ?? CodeUpdateStrategy.PlatformDefault;
        var changes = parts
            .SelectMany(p => p.Listed.Select((entry, i) => (entry, to: p.ListedTo[i])))
            .Select(c => new PreviewChange(c.entry.ClassName, c.entry.ObjectId, c.entry.Name, c.entry.VersionId, c.to, activeIds.Contains(DurableObjectKey.Format(WorkerName, c.entry.ClassName, c.entry.ObjectId))))
            .OrderBy(c => c.ClassName, StringComparer.Ordinal).ThenBy(c => c.ObjectId, StringComparer.Ordinal)
            .Take(Math.Max(0, listLimit));
        return new PreviewReport
        {
            Proposed = shares,
            ResetShare = preview.ChangedShare,
            Pairs = [.. preview.Pairs.Select(p => new PreviewPair(p.From, p.To, p.Share))],
            Warnings = [.. preview.Warnings],
            Objects = parts.Sum(p => p.Objects),
            ActiveObjects = active.Count,
            Changing = parts.Sum(p => p.Changing),
            ChangingActive = moving.Count,
            Changes = [.. changes],
            Tags = history.Tags(),
            CodeUpdate = effective,
            Forecast = effective.Forecast(moving.Select(key => pending.TryGetValue(key, out var by) ? by : (DateTimeOffset?)null), clock.UtcNow),
        };
    }

    // Deferred updates' deadlines by grain key; an object listed by two silos (a move in progress) keeps the earlier one.
    private async Task<Dictionary<string, DateTimeOffset>> PendingAsync() =>
        (await Task.WhenAll((await SilosAsync()).Select(s => s.PendingUpdates(WorkerName)))).SelectMany(p => p)
            .GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Min(p => p.Value), StringComparer.Ordinal);

    private async Task<HashSet<string>> BusyAsync() =>
        (await Task.WhenAll((await SilosAsync()).Select(s => s.BusyObjects(WorkerName)))).SelectMany(b => b).ToHashSet(StringComparer.Ordinal);

    public async Task<ImmutableArray<ObjectSummary>> Objects(ObjectFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var history = await ExistingAsync();
        Guid? version = filter.Version is { } spec ? Decide(() => history.ResolveVersion(spec)).Id : null;
        var tags = history.Tags();
        // What the silos hold now, asked of all of them at once.
        var (activeRead, socketsRead, pendingRead, busyRead) = (ActiveAsync(), SocketsAsync(), PendingAsync(), BusyAsync());
        await Task.WhenAll(activeRead, socketsRead, pendingRead, busyRead);
        var (active, sockets, pending, busy) = (activeRead.Result, socketsRead.Result, pendingRead.Result, busyRead.Result);
        var ranges = history.CurrentDeployment is { } current ? VersionRanges.From(current) : null;
        var entries = await Task.WhenAll(IndexPartitions().Select(p => p.Entries()));
        return
        [
            .. entries.SelectMany(e => e)
                .Where(e => (version is null || e.VersionId == version) && (filter.ClassName is null || e.ClassName == filter.ClassName))
                .Select(e =>
                {
                    var key = DurableObjectKey.Format(WorkerName, e.ClassName, e.ObjectId);
                    var isActive = active.TryGetValue(key, out var live);
                    var open = sockets.GetValueOrDefault(key);
                    return new ObjectSummary
                    {
                        ClassName = e.ClassName,
                        ObjectId = e.ObjectId,
                        Name = e.Name,
                        VersionId = e.VersionId,
                        ResetCount = e.ResetCount,
                        Resets = e.Resets,
                        IsActive = isActive,
                        VersionTag = tags.GetValueOrDefault(e.VersionId),
                        Silo = isActive ? live.Silo : null,
                        Sockets = open?.Sockets ?? 0,
                        IsHibernated = !isActive && open is { Hibernated: true },
                        AssignedVersionId = ranges?.VersionFor(e.ObjectId),
                        SwitchBy = isActive && pending.TryGetValue(key, out var by) ? by : null,
                        IsBusy = isActive && busy.Contains(key),
                    };
                })
                .Where(o => !filter.ActiveOnly || o.IsActive)
                .OrderBy(o => o.ClassName, StringComparer.Ordinal).ThenBy(o => o.ObjectId, StringComparer.Ordinal),
        ];
    }

    public async Task<WorkerAnalytics> Analytics()
    {
        var history = await ExistingAsync();
        var silos = await Task.WhenAll((await SilosAsync()).Select(s => s.ReadAnalytics(WorkerName)));
        return WorkerAnalyticsBuilder.Build(history, silos);
    }

    private async Task<WorkerHistory> ExistingAsync() =>
        await Deployments.GetHistory()
        ?? throw new RuleRefusedException(new RuleError(RuleError.WorkerNotDeployed, $"Worker '{WorkerName}' does not exist: create it with `dosim deploy --name {WorkerName} --script <script>`."));

    private IEnumerable<IObjectIndexGrain> IndexPartitions() =>
        Enumerable.Range(0, ObjectIndex.Partitions).Select(p => GrainFactory.GetGrain<IObjectIndexGrain>(ObjectIndex.Key(WorkerName, p)));

    private async Task<ITelemetryAgentGrain[]> SilosAsync()
    {
        var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        return [.. hosts.Keys.Select(s => GrainFactory.GetGrain<ITelemetryAgentGrain>(s.ToParsableString()))];
    }

    /// <summary>Grain keys of the Worker's objects with a live instance on any silo, with the version each runs and the silo.</summary>
    private async Task<Dictionary<string, ObjectSocketCount>> SocketsAsync()
    {
        var silos = await SilosAsync();
        var perSilo = await Task.WhenAll(silos.Select(s => s.SocketCounts(WorkerName)));
        var counts = new Dictionary<string, ObjectSocketCount>(StringComparer.Ordinal);
        foreach (var count in perSilo.SelectMany(c => c))
        {
            // An object active on one silo and a stale hibernation entry on another: the active one counts.
            if (!counts.TryGetValue(count.Key, out var seen) || seen.Hibernated)
            {
                counts[count.Key] = count;
            }
        }

        return counts;
    }

    private async Task<Dictionary<string, (Guid Version, string Silo)>> ActiveAsync()
    {
        var silos = await SilosAsync();
        var perSilo = await Task.WhenAll(silos.Select(s => s.ActiveObjects(WorkerName)));
        var active = new Dictionary<string, (Guid, string)>(StringComparer.Ordinal);
        for (var i = 0; i < silos.Length; i++)
        {
            foreach (var (key, version) in perSilo[i])
            {
                active[key] = (version, silos[i].GetPrimaryKeyString());
            }
        }

        return active;
    }

    private static T Decide<T>(Func<T> decide)
    {
        try
        {
            return decide();
        }
        catch (RuleViolationException ex)
        {
            throw new RuleRefusedException(ex.Error);
        }
    }
}
