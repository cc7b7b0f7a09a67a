using System.Collections.Immutable;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Testing;

/// <summary>Readable steps for tests: versions, deployments, requests and objects of one Worker.</summary>
public sealed class WorkerHandle(IClusterClient client, string name, CodeUpdateStrategy? codeUpdate = null)
{
    public string Name { get; } = name;

    /// <summary>The strategy this handle's deploys send when they name none; null sends none, so the platform's default applies.</summary>
    public CodeUpdateStrategy? CodeUpdate { get; } = codeUpdate;

    private IDeploymentGrain Deployments => client.GetGrain<IDeploymentGrain>(Name);

    /// <summary>The cluster's query API for this Worker: what the CLI reads too.</summary>
    public IWorkerQueryGrain Query => client.GetGrain<IWorkerQueryGrain>(Name);

    /// <summary>A plain deploy: a new version at 100%, applying its migrations. Returns the version.</summary>
    public async Task<WorkerVersion> DeployAsync(string script, string? tag = null, IReadOnlyDictionary<string, string>? vars = null, string? migrationTag = null) =>
        (await Deployments.Deploy(Draft(script, tag, vars, migrationTag), null, CodeUpdate)).Version;

    /// <summary>Uploads a version without deploying it (its migration tag, if any, must already be applied).</summary>
    public Task<WorkerVersion> UploadAsync(string script, string? tag = null, IReadOnlyDictionary<string, string>? vars = null, string? migrationTag = null) =>
        Deployments.UploadVersion(Draft(script, tag, vars, migrationTag));

    /// <summary>A plain deploy of a version of your own (e.g. <c>WorkerProject.Load(["dist/index.js"], "wrangler.toml").Draft("v1")</c>).</summary>
    public async Task<WorkerVersion> DeployAsync(VersionDraft draft) => (await Deployments.Deploy(draft, null, CodeUpdate)).Version;

    /// <summary>A plain deploy with a code update strategy (e.g. <c>CodeUpdateStrategy.Parse("deferred=30s")</c>): the result says how many active objects reset now and how many were deferred.</summary>
    public Task<DeployResult> DeployAsync(VersionDraft draft, CodeUpdateStrategy strategy) => Deployments.Deploy(draft, null, strategy);

    /// <summary>Uploads a version of your own without deploying it.</summary>
    public Task<WorkerVersion> UploadAsync(VersionDraft draft) => Deployments.UploadVersion(draft);

    /// <summary>
    /// Deploys versions with percentages, in this order, e.g. (b.Id, 20), (a.Id, 80). The result has
    /// the deployment, the reorder warnings and which silos applied it.
    /// </summary>
    public Task<DeploymentResult> DeployVersionsAsync(params (Guid VersionId, decimal Percentage)[] shares) =>
        Deployments.DeployVersions([.. shares.Select(s => new VersionShare(s.VersionId, s.Percentage))], null, null, CodeUpdate);

    /// <summary>As <see cref="DeployVersionsAsync(ValueTuple{Guid, decimal}[])"/>, with a code update strategy.</summary>
    public Task<DeploymentResult> DeployVersionsAsync(CodeUpdateStrategy strategy, params (Guid VersionId, decimal Percentage)[] shares) =>
        Deployments.DeployVersions([.. shares.Select(s => new VersionShare(s.VersionId, s.Percentage))], null, null, strategy);

    public Task<DeploymentResult> RollbackAsync(Guid? versionId = null, CodeUpdateStrategy? strategy = null) => Deployments.Rollback(versionId, null, null, strategy ?? CodeUpdate);

    public async Task<WorkerHistory> HistoryAsync() =>
        await Query.History() ?? throw new InvalidOperationException($"Worker '{Name}' has not been deployed.");

    /// <summary>What deploying these specs (e.g. "B@50%", "A@50%") would reset, over every object the Worker has; nothing is deployed.</summary>
    /// <remarks>The report's forecast assumes this handle's <see cref="CodeUpdate"/> (the platform's default when it has none).</remarks>
    public Task<PreviewReport> PreviewAsync(params string[] specs) => Query.Preview([.. specs], int.MaxValue, CodeUpdate);

    /// <summary>As <see cref="PreviewAsync(string[])"/>, forecasting what <paramref name="strategy"/> does to the active objects that move.</summary>
    public Task<PreviewReport> PreviewAsync(CodeUpdateStrategy strategy, params string[] specs) => Query.Preview([.. specs], int.MaxValue, strategy);

    /// <summary>Every object the Worker has (active or not), with version, resets and whether it is active.</summary>
    public Task<ImmutableArray<ObjectSummary>> ObjectsAsync(ObjectFilter? filter = null) => Query.Objects(filter ?? new ObjectFilter());

    /// <summary>Exact counts per deployment, version and object class, from every silo.</summary>
    public Task<WorkerAnalytics> AnalyticsAsync() => Query.Analytics();

    /// <summary>Trace events from every silo as they happen (or those held now, with <c>Follow = false</c>).</summary>
    public IAsyncEnumerable<TraceEvent> TailAsync(TailFilter? filter = null, CancellationToken cancellation = default) =>
        client.GetGrain<IWorkerTailGrain>(TailKey.New(Name)).Tail(filter ?? new TailFilter(), cancellation);

    /// <summary>Sends one request, e.g. FetchAsync("/foo", ("Cloudflare-Workers-Version-Key", "user-1")).</summary>
    public Task<InvocationResult> FetchAsync(string path, params (string Name, string Value)[] headers) =>
        client.GetGrain<IWorkerGrain>(Name).Invoke(WorkerRequest.Get($"https://{Name}.localhost{(path.StartsWith('/') ? path : "/" + path)}", headers));

    /// <summary>The object of this class named <paramref name="objectName"/> (idFromName in the class's namespace).</summary>
    /// <remarks>Asks the object itself (activating it if it sleeps); <see cref="ObjectsAsync"/> reads the index instead.</remarks>
    public Task<DurableObjectStatus> ObjectAsync(string className, string objectName) =>
        ObjectByIdAsync(className, DurableObjectId.FromName(className, objectName));

    public Task<DurableObjectStatus> ObjectByIdAsync(string className, string objectId) =>
        client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format(Name, className, objectId)).GetStatus();

    /// <summary>The version Core assigns the object of this class named <paramref name="objectName"/> under the current deployment.</summary>
    public async Task<Guid> AssignedVersionAsync(string objectName, string className = "Counter")
    {
        var deployment = (await HistoryAsync()).CurrentDeployment!;
        return VersionRanges.From(deployment).VersionFor(DurableObjectId.FromName(className, objectName));
    }

    private static VersionDraft Draft(string script, string? tag, IReadOnlyDictionary<string, string>? vars, string? migrationTag) => new()
    {
        Script = script,
        Tag = tag,
        Vars = vars is null ? ImmutableSortedDictionary<string, string>.Empty : vars.ToImmutableSortedDictionary(),
        MigrationTag = migrationTag,
    };
}
