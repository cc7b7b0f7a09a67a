using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Core.Platform;

namespace Simulator.Api;

/// <summary>Services, scripts, versions and deployments: what deploy, versions and deployments commands call.</summary>
public static class WorkerEndpoints
{
    public static async Task GetService(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var history = await call.HistoryAsync();
        var created = PlatformObjects.Timestamp(history.Versions[0].CreatedOn);
        var modified = PlatformObjects.Timestamp(history.Versions[^1].CreatedOn);
        await ApiJson.Success(call.Context, new JsonObject
        {
            ["id"] = history.WorkerName,
            ["created_on"] = created,
            ["modified_on"] = modified,
            ["default_environment"] = new JsonObject
            {
                ["environment"] = "production",
                ["created_on"] = created,
                ["modified_on"] = modified,
                ["script"] = Script(history),
            },
            ["environments"] = new JsonArray(new JsonObject { ["environment"] = "production", ["created_on"] = created, ["modified_on"] = modified }),
        });
    }

    public static async Task GetSettings(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var history = await call.HistoryAsync();
        var current = CurrentVersion(history);
        await ApiJson.Success(call.Context, Settings(current));
    }

    /// <summary>Non-versioned settings (logpush, observability, tail consumers, tags): accepted, not simulated.</summary>
    public static async Task PatchSettings(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var body = await call.JsonBodyAsync();
        if (body.Select(p => p.Key).FirstOrDefault(k => !NonVersionedSettings.Contains(k)) is { } versioned)
        {
            throw new ApiException(400, ApiErrors.InvalidRequest, $"'{versioned}' is not a non-versioned setting: script-settings takes {string.Join(", ", NonVersionedSettings)}; a version's own settings come with its upload.");
        }

        var history = await call.HistoryAsync();
        var settings = Settings(CurrentVersion(history));
        foreach (var (key, value) in body)
        {
            settings[key] = value?.DeepClone();
        }

        await ApiJson.Success(call.Context, settings, body.Count == 0 ? null : [$"Settings {string.Join(", ", body.Select(p => p.Key))} are accepted and not simulated by dosim (they are not stored)."]);
    }

    /// <summary>A plain deploy (what `wrangler deploy` does for a new Worker or one with migrations): a version at 100%.</summary>
    public static async Task PutScript(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var history = await call.Query.History();
        var upload = await UploadAsync(call, history);
        var started = Stopwatch.GetTimestamp();
        var result = await call.Deployments.Deploy(upload.Draft, upload.Message, upload.CodeUpdateStrategy);
        var elapsed = StartupMs(started);
        var after = await call.HistoryAsync();
        var script = Script(after);
        script["deployment_id"] = result.Version.Id.ToString();
        script["startup_time_ms"] = elapsed;
        await ApiJson.Success(call.Context, script, [.. upload.Notices, .. Propagation(result.Propagation)]);
    }

    public static async Task UploadVersion(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var history = await call.HistoryAsync();
        var upload = await UploadAsync(call, history);
        var started = Stopwatch.GetTimestamp();
        var version = await call.Deployments.UploadVersion(upload.Draft);
        var shown = PlatformObjects.Version(version);
        shown["startup_time_ms"] = StartupMs(started);
        string[] strategy = upload.CodeUpdateStrategy is null ? [] : ["code_update_strategy belongs to a deployment: this upload deploys nothing, so it is not stored."];
        await ApiJson.Success(call.Context, shown, [.. upload.Notices, .. strategy]);
    }

    /// <summary>Newest first; <c>deployable=true</c>: only those a deployment may name (the deployable window).</summary>
    public static async Task ListVersions(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var history = await call.HistoryAsync();
        IEnumerable<WorkerVersion> versions = history.Versions;
        if (call.Context.Request.Query["deployable"] == "true")
        {
            var deployable = (await call.Query.Deployable()).ToHashSet();
            versions = versions.Where(v => deployable.Contains(v.Id));
        }

        var items = new JsonArray([.. versions.Reverse().Select(v => (JsonNode?)PlatformObjects.Version(v))]);
        await ApiJson.Success(call.Context, new JsonObject { ["items"] = items });
    }

    public static async Task GetVersion(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var id = call.Value("version");
        if (!Guid.TryParse(id, out _))
        {
            throw new ApiException(400, ApiErrors.InvalidRequest, $"'{id}' is not a version id: version ids are UUIDs (list them with `wrangler versions list`).");
        }

        await ApiJson.Success(call.Context, PlatformObjects.Version(await call.Query.Version(id)));
    }

    /// <summary>Newest first: wrangler takes the first as the current deployment.</summary>
    public static async Task ListDeployments(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var history = await call.HistoryAsync();
        var deployments = new JsonArray([.. history.Deployments.Reverse().Select(d => (JsonNode?)PlatformObjects.Deployment(d))]);
        await ApiJson.Success(call.Context, new JsonObject { ["deployments"] = deployments });
    }

    /// <summary>
    /// A deployment of one or two versions (versions deploy, rollback, deploy of an existing Worker).
    /// <c>force=true</c> changes nothing here: dosim never refuses a rollback for changed secrets.
    /// </summary>
    public static async Task CreateDeployment(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var body = await call.JsonBodyAsync();
        if (body["strategy"] is { } strategy && (strategy is not JsonValue value || !value.TryGetValue<string>(out var name) || name != "percentage"))
        {
            throw new ApiException(400, ApiErrors.InvalidRequest, $"Deployment strategy '{strategy}' is not one dosim knows: use \"percentage\".");
        }

        if (body["versions"] is not JsonArray { Count: > 0 } versions)
        {
            throw new ApiException(400, ApiErrors.InvalidRequest, "A deployment needs 'versions': [{\"version_id\": \"<uuid>\", \"percentage\": 100}] (one or two versions summing to 100).");
        }

        var shares = ImmutableArray.CreateBuilder<VersionShare>();
        foreach (var node in versions)
        {
            if (node is not JsonObject share
                || share["version_id"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var idText) || !Guid.TryParse(idText, out var id)
                || share["percentage"] is not JsonValue percentValue || !percentValue.TryGetValue<decimal>(out var percentage))
            {
                throw new ApiException(400, ApiErrors.InvalidRequest, $"Each entry of 'versions' is {{\"version_id\": \"<uuid>\", \"percentage\": <number>}} (got {node?.ToJsonString() ?? "null"}).");
            }

            shares.Add(new VersionShare(id, percentage));
        }

        var message = WorkerUpload.Annotation(body["annotations"] as JsonObject, "workers/message");
        var update = body["code_update_strategy"] is { } updateNode ? WorkerUpload.Strategy(updateNode) : null;
        var result = await call.Deployments.DeployVersions(shares.ToImmutable(), message, null, update);
        var notices = new List<string>(result.Warnings);
        notices.AddRange(Propagation(result.Propagation));
        await ApiJson.Success(call.Context, PlatformObjects.Deployment(result.Deployment), notices);
    }

    // What PATCH script-settings takes (what wrangler sends there).
    private static readonly string[] NonVersionedSettings = ["logpush", "observability", "tail_consumers", "streaming_tail_consumers", "tags"];

    /// <summary>The script object of the services and PUT answers.</summary>
    private static JsonObject Script(WorkerHistory history)
    {
        var current = CurrentVersion(history);
        var script = new JsonObject
        {
            ["id"] = history.WorkerName,
            ["tag"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("dosim/worker/" + history.WorkerName))[..16]),
            ["tags"] = new JsonArray(),
            ["etag"] = PlatformObjects.Etag(current),
            ["handlers"] = new JsonArray("fetch"),
            ["created_on"] = PlatformObjects.Timestamp(history.Versions[0].CreatedOn),
            ["modified_on"] = PlatformObjects.Timestamp(history.Versions[^1].CreatedOn),
            ["usage_model"] = "standard",
            ["last_deployed_from"] = PlatformObjects.Source,
            ["has_modules"] = current.Code is not null,
            ["has_assets"] = current.Code?.Assets is not null,
        };
        if (current.Code?.CompatibilityDate is { } date)
        {
            script["compatibility_date"] = date;
        }

        if (history.MigrationTag is { } tag)
        {
            script["migration_tag"] = tag;
        }

        return script;
    }

    private static JsonObject Settings(WorkerVersion current)
    {
        var settings = new JsonObject
        {
            ["bindings"] = PlatformObjects.Bindings(current),
            ["compatibility_flags"] = new JsonArray([.. (current.Code?.CompatibilityFlags ?? []).Select(f => (JsonNode?)f)]),
            ["logpush"] = false,
            ["tail_consumers"] = new JsonArray(),
            ["observability"] = new JsonObject { ["enabled"] = false },
            ["placement"] = current.UsesSmartPlacement ? new JsonObject { ["mode"] = "smart" } : new JsonObject(),
            ["usage_model"] = "standard",
            ["tags"] = new JsonArray(),
        };
        if (current.Code?.CompatibilityDate is { } date)
        {
            settings["compatibility_date"] = date;
        }

        return settings;
    }

    // The version the current deployment sends the most traffic to: what "the script" is now.
    private static WorkerVersion CurrentVersion(WorkerHistory history) =>
        history.CurrentDeployment is { } deployment
            ? history.GetVersion(deployment.Versions.MaxBy(v => v.Percentage).VersionId)
            : history.LatestVersion!;

    private static async Task<WorkerUpload> UploadAsync(ApiCall call, WorkerHistory? history)
    {
        var body = await call.BodyAsync();
        var upload = await WorkerUpload.ReadAsync(body, call.Context.Request.ContentType, call.WorkerName, history?.LatestVersion);
        if (upload.Assets is not var (token, settings))
        {
            return upload;
        }

        // The assets the upload's session finished (or, kept, the latest version's) become the version's.
        var assets = token is null ? settings : settings with { Files = await AssetEndpoints.FilesAsync(call.Grains, call.WorkerName, token) };
        return upload with { Draft = upload.Draft with { Code = upload.Draft.Code! with { Assets = assets } } };
    }

    // The time the silo took to load, check and store the version, as the platform's startup time.
    private static long StartupMs(long started) => Math.Max(1, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);

    /// <summary>The answer's messages about silos that have not applied a deployment yet.</summary>
    internal static IEnumerable<string> Propagation(PropagationReport report) =>
        report.Missed.Select(m => $"Silo {m.Silo} has not applied the deployment yet ({m.Reason}); it catches up within {report.ResyncInterval.TotalSeconds:0} s.")
            .Concat(report.Applied.Where(a => a.ObjectsDeferred > 0).Select(a => $"Silo {a.Silo}: {a.ObjectsDeferred} active Durable Objects keep their code until they hibernate, by {a.DeferredUntil:O} at the latest (a deferred code update); {a.ObjectsReset} reset now."));
}
