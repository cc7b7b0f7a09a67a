using Microsoft.AspNetCore.Http;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Api;

/// <summary>One API request as a handler sees it: the HTTP context, the cluster, and the route's values.</summary>
public sealed class ApiCall(HttpContext context, IGrainFactory grains, IReadOnlyDictionary<string, string> values, PlatformApiOptions options)
{
    public HttpContext Context { get; } = context;

    public IGrainFactory Grains { get; } = grains;

    public PlatformApiOptions Options { get; } = options;

    /// <summary>The Worker the route names, checked against the naming rule.</summary>
    public string WorkerName
    {
        get
        {
            var name = values["name"];
            return WorkerNames.Validate(name) is { } invalid ? throw new ApiException(400, ApiErrors.InvalidRequest, invalid.Message) : name;
        }
    }

    public string Value(string key) => values[key];

    public IWorkerQueryGrain Query => StringKeyGrains.Get<IWorkerQueryGrain>(Grains, WorkerName);

    public IDeploymentGrain Deployments => StringKeyGrains.Get<IDeploymentGrain>(Grains, WorkerName);

    /// <summary>The Worker's history (secrets blanked), or the platform's not-found error.</summary>
    public async Task<WorkerHistory> HistoryAsync() => await Query.History() ?? throw ApiErrors.WorkerMissing(WorkerName);

    /// <summary>The request body, within the API's limit.</summary>
    public async Task<byte[]> BodyAsync()
    {
        using var buffer = new MemoryStream();
        await Context.Request.Body.CopyToAsync(buffer, Context.RequestAborted);
        return buffer.ToArray();
    }

    public async Task<System.Text.Json.Nodes.JsonObject> JsonBodyAsync()
    {
        var body = await BodyAsync();
        return WorkerUpload.ParseObject(System.Text.Encoding.UTF8.GetString(body), "The request body");
    }
}
