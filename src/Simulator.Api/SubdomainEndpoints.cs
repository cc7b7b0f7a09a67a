using System.Text.Json.Nodes;
using Simulator.Core.Platform;

namespace Simulator.Api;

/// <summary>
/// The workers.dev routes `wrangler deploy` calls after an upload. Every Worker is reachable on the
/// silo's HTTP port as &lt;worker&gt;.localhost (and &lt;worker&gt;.dosim.workers.dev as a Host header);
/// preview URLs are not simulated.
/// </summary>
public static class SubdomainEndpoints
{
    /// <summary>The account's workers.dev subdomain: wrangler prints https://&lt;worker&gt;.dosim.workers.dev.</summary>
    public const string AccountSubdomain = "dosim";

    public static Task GetAccountSubdomain(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return ApiJson.Success(call.Context, new JsonObject { ["subdomain"] = AccountSubdomain });
    }

    public static async Task GetScriptSubdomain(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        _ = await call.HistoryAsync();
        await ApiJson.Success(call.Context, Subdomain());
    }

    public static async Task PostScriptSubdomain(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var body = await call.JsonBodyAsync();
        _ = await call.HistoryAsync();
        var notices = body["enabled"] is JsonValue enabled && enabled.TryGetValue<bool>(out var on) && !on
            ? ["dosim does not simulate turning workers.dev off: the Worker stays reachable on the silo's HTTP port."]
            : Array.Empty<string>();
        await ApiJson.Success(call.Context, Subdomain(), notices);
    }

    /// <summary>The Worker object of the Workers API (4.164's deploy reads its subdomain).</summary>
    public static async Task GetWorker(ApiCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var history = await call.HistoryAsync();
        var port = call.Context.Connection.LocalPort;
        var subdomain = Subdomain();
        subdomain["url"] = $"http://{history.WorkerName}.localhost:{port}";
        subdomain["preview_url_suffix"] = $"-{history.WorkerName}.{AccountSubdomain}.workers.dev";
        await ApiJson.Success(call.Context, new JsonObject
        {
            ["id"] = history.WorkerName,
            ["name"] = history.WorkerName,
            ["created_on"] = PlatformObjects.Timestamp(history.Versions[0].CreatedOn),
            ["updated_on"] = PlatformObjects.Timestamp(history.Versions[^1].CreatedOn),
            ["deployed_on"] = history.CurrentDeployment is { } d ? PlatformObjects.Timestamp(d.CreatedOn) : null,
            ["logpush"] = false,
            ["observability"] = new JsonObject { ["enabled"] = false },
            ["tags"] = new JsonArray(),
            ["tail_consumers"] = new JsonArray(),
            ["references"] = new JsonObject(),
            ["subdomain"] = subdomain,
        });
    }

    private static JsonObject Subdomain() => new() { ["enabled"] = true, ["previews_enabled"] = false };
}
