using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Simulator.Core.Platform;

namespace Simulator.Api;

/// <summary>Secrets: `wrangler secret put|delete|list` and `wrangler versions secret put`. Values never leave the cluster.</summary>
public static class SecretEndpoints
{
    public static async Task List(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var history = await call.HistoryAsync();
        var secrets = history.LatestVersion?.Secrets.Keys ?? [];
        await ApiJson.Success(call.Context, new JsonArray([.. secrets.Select(name => (JsonNode?)Shown(name))]));
    }

    public static async Task Get(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var history = await call.HistoryAsync();
        var name = call.Value("secret");
        if (history.LatestVersion?.Secrets.ContainsKey(name) != true)
        {
            throw new ApiException(404, ApiErrors.InvalidRequest, $"Worker '{history.WorkerName}' has no secret named '{name}'.");
        }

        await ApiJson.Success(call.Context, Shown(name));
    }

    /// <summary>Puts a secret: a new version, deployed at 100% (the latest version must be the deployed one).</summary>
    public static async Task Put(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var body = await call.JsonBodyAsync();
        var (name, text) = Secret(body);
        var result = await call.Deployments.PutSecret(name, text);
        await ApiJson.Success(call.Context, Shown(name), WorkerEndpoints.Propagation(result.Propagation));
    }

    public static async Task Delete(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var result = await call.Deployments.DeleteSecret(call.Value("secret"));
        await ApiJson.Success(call.Context, null, WorkerEndpoints.Propagation(result.Propagation));
    }

    /// <summary>
    /// `wrangler versions secret put|bulk`: a merge patch of the latest version's secrets
    /// (<c>{"env": {"NAME": {"type": "secret_text", "text": "…"} | null}}</c>) makes a new version, not deployed.
    /// </summary>
    public static async Task PatchLatestVersion(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var body = await call.JsonBodyAsync();
        if (body["env"] is not JsonObject env || env.Count == 0)
        {
            throw new ApiException(400, ApiErrors.InvalidRequest, "The patch needs 'env': {\"NAME\": {\"type\": \"secret_text\", \"text\": \"value\"}} (null deletes a secret).");
        }

        var changes = ImmutableDictionary.CreateBuilder<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in env)
        {
            changes[name] = value is null ? null : Secret(value as JsonObject ?? throw new ApiException(400, ApiErrors.InvalidRequest, $"env.{name} is an object {{\"type\": \"secret_text\", \"text\": \"…\"}} or null."), name).Text;
        }

        var annotations = body["annotations"] as JsonObject;
        var version = await call.Deployments.UploadSecretVersion(changes.ToImmutable(), WorkerUpload.Annotation(annotations, "workers/message"), WorkerUpload.Annotation(annotations, "workers/tag"));
        await ApiJson.Success(call.Context, PlatformObjects.Version(version));
    }

    private static (string Name, string Text) Secret(JsonObject body, string? name = null)
    {
        name ??= Text(body["name"]) ?? throw new ApiException(400, ApiErrors.InvalidRequest, "A secret needs a 'name': {\"name\": \"API_KEY\", \"text\": \"…\", \"type\": \"secret_text\"}.");
        if (Text(body["type"]) is { } type && type != "secret_text")
        {
            throw ApiErrors.NotSimulatedBy($"A secret of type '{type}'", "Use type secret_text.");
        }

        var text = Text(body["text"]) ?? throw new ApiException(400, ApiErrors.InvalidRequest, $"Secret '{name}' needs a 'text' (its value).");
        return (name, text);
    }

    private static JsonObject Shown(string name) => new() { ["name"] = name, ["type"] = "secret_text" };

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
