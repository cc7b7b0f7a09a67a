using System.Collections.Immutable;
using System.Text;
using Simulator.Core;

namespace Simulator.Contracts;

/// <summary>A request to a Worker or a Durable Object: a small serializable record, not an ASP.NET type.</summary>
[GenerateSerializer, Immutable, Alias("dosim.WorkerRequest")]
public sealed record WorkerRequest
{
    [Id(0)] public string Method { get; init; } = "GET";

    /// <summary>An absolute URL, e.g. https://my-worker.localhost/foo.</summary>
    [Id(1)] public required string Url { get; init; }

    [Id(2)] public ImmutableArray<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The body's bytes, as sent; null when the request has none.</summary>
    [Id(3)] public byte[]? Body { get; init; }

    /// <summary>The named entrypoint (an exported class or object) a service binding calls; null for the default export.</summary>
    [Id(4)] public string? Entrypoint { get; init; }

    /// <summary>The body as UTF-8 text ("" when there is none).</summary>
    public string Text => Body is null ? string.Empty : Encoding.UTF8.GetString(Body);

    public string Path => Uri.TryCreate(Url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : "/";

    /// <summary>All values of a header, joined with ", " as HTTP combines field lines; null when absent.</summary>
    public string? Header(string name)
    {
        string? combined = null;
        foreach (var (key, value) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                combined = combined is null ? value : combined + ", " + value;
            }
        }

        return combined;
    }

    public static WorkerRequest Get(string url, params (string Name, string Value)[] headers) =>
        new() { Url = url, Headers = [.. headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value))] };
}

[GenerateSerializer, Immutable, Alias("dosim.WorkerResponse")]
public sealed record WorkerResponse
{
    [Id(0)] public int Status { get; init; } = 200;
    [Id(1)] public ImmutableArray<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The body's bytes, carried as they are.</summary>
    [Id(2)] public byte[] Body { get; init; } = [];

    /// <summary>The client end of a WebSocket, with a 101 response; null for any other response.</summary>
    [Id(3)] public SocketLink? WebSocket { get; init; }

    /// <summary>The body as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Body);

    public static WorkerResponse Plain(string body, int status = 200) =>
        new() { Status = status, Body = Encoding.UTF8.GetBytes(body), Headers = [new("content-type", "text/plain; charset=utf-8")] };

    public static WorkerResponse Json(string json, int status = 200) =>
        new() { Status = status, Body = Encoding.UTF8.GetBytes(json), Headers = [new("content-type", "application/json")] };

    public static WorkerResponse Bytes(byte[] body, string contentType = "application/octet-stream", int status = 200) =>
        new() { Status = status, Body = body, Headers = [new("content-type", contentType)] };
}

/// <summary>What a Durable Object answered, and which version it ran.</summary>
[GenerateSerializer, Immutable, Alias("dosim.DurableObjectAnswer")]
public sealed record DurableObjectAnswer(
    [property: Id(0)] WorkerResponse Response,
    [property: Id(1)] Guid VersionId,
    [property: Id(2)] int ResetCount);

/// <summary>What one Worker invocation produced, with the version that ran it and why.</summary>
[GenerateSerializer, Immutable, Alias("dosim.InvocationResult")]
public sealed record InvocationResult
{
    [Id(0)] public required WorkerResponse Response { get; init; }
    [Id(1)] public required Guid VersionId { get; init; }
    [Id(2)] public required SelectionReasonCode Reason { get; init; }
    [Id(3)] public Guid? DurableObjectVersionId { get; init; }
    [Id(4)] public int? DurableObjectResets { get; init; }

    /// <summary>The error message when the worker's code threw (the response is then a 500).</summary>
    [Id(5)] public string? Error { get; init; }
}

/// <summary><see cref="SelectionReason"/> on the wire.</summary>
[GenerateSerializer]
public enum SelectionReasonCode
{
    Override = SelectionReason.Override,
    VersionKey = SelectionReason.VersionKey,
    Random = SelectionReason.Random,
}

/// <summary>What every silo holds of a Worker: its current deployment, its ranges, and the versions it lists.</summary>
[GenerateSerializer, Immutable, Alias("dosim.DeploymentSnapshot")]
public sealed record DeploymentSnapshot
{
    [Id(0)] public required string WorkerName { get; init; }

    /// <summary>How many deployments the worker has had: a newer snapshot always has a larger sequence.</summary>
    [Id(1)] public required int Sequence { get; init; }

    [Id(2)] public Deployment? Deployment { get; init; }
    [Id(3)] public ImmutableArray<WorkerVersion> Versions { get; init; } = [];

    /// <summary>The Worker's SQLite-backed Durable Object classes; the others keep key-value storage.</summary>
    [Id(4)] public ImmutableSortedSet<string> SqliteClasses { get; init; } = ImmutableSortedSet<string>.Empty;

    [NonSerialized]
    private VersionRanges? _ranges;

    /// <summary>The deployment's ranges, computed once per snapshot; null before the first deployment.</summary>
    public VersionRanges? Ranges => Deployment is null ? null : _ranges ??= VersionRanges.From(Deployment);

    public WorkerVersion Version(Guid id) => Versions.First(v => v.Id == id);

    public static DeploymentSnapshot From(WorkerHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var deployment = history.CurrentDeployment;
        return new DeploymentSnapshot
        {
            WorkerName = history.WorkerName,
            Sequence = history.Deployments.Count,
            Deployment = deployment,
            Versions = deployment is null ? [] : [.. deployment.Versions.Select(s => history.GetVersion(s.VersionId))],
            SqliteClasses = history.SqliteClasses,
        };
    }
}

/// <summary>One reset of a Durable Object, as its durable history records it.</summary>
[GenerateSerializer, Immutable, Alias("dosim.ResetRecord")]
public sealed record ResetRecord(
    [property: Id(0)] Guid DeploymentId,
    [property: Id(1)] Guid FromVersion,
    [property: Id(2)] Guid ToVersion,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] bool WasActive);

/// <summary>A Durable Object as a test or the CLI reads it.</summary>
[GenerateSerializer, Immutable, Alias("dosim.DurableObjectStatus")]
public sealed record DurableObjectStatus
{
    [Id(0)] public required string WorkerName { get; init; }
    [Id(1)] public required string ClassName { get; init; }
    [Id(2)] public required string ObjectId { get; init; }

    /// <summary>The version it last ran; null if it never ran.</summary>
    [Id(3)] public Guid? VersionId { get; init; }

    [Id(4)] public int ResetCount { get; init; }
    [Id(5)] public ImmutableArray<ResetRecord> Resets { get; init; } = [];
    [Id(6)] public bool IsActive { get; init; }

    /// <summary>The in-memory instance's count of requests since it was built (0 when not active).</summary>
    [Id(7)] public int RequestsSinceBuilt { get; init; }

    /// <summary>The silo the object's grain is active on.</summary>
    [Id(8)] public string Silo { get; init; } = string.Empty;
}

/// <summary>A Durable Object's grain key: worker, class and id.</summary>
public static class DurableObjectKey
{
    public static string Format(string workerName, string className, string objectId) => $"{workerName}/{className}/{objectId}";

    public static (string WorkerName, string ClassName, string ObjectId) Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var first = key.IndexOf('/', StringComparison.Ordinal);
        var last = key.LastIndexOf('/');
        if (first <= 0 || last <= first || last == key.Length - 1)
        {
            throw new ArgumentException($"'{key}' is not a Durable Object key: expected <worker>/<class>/<id>.", nameof(key));
        }

        return (key[..first], key[(first + 1)..last], key[(last + 1)..]);
    }
}

/// <summary>The gateway's diagnostic response headers.</summary>
public static class DiagnosticHeaders
{
    public const string VersionId = "X-Simulator-Version-Id";
    public const string VersionReason = "X-Simulator-Version-Reason";
    public const string DurableObjectVersionId = "X-Simulator-Durable-Object-Version-Id";
    public const string DurableObjectResets = "X-Simulator-Durable-Object-Resets";
}
