using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Runtime;

/// <summary>A Durable Object namespace binding (one class of one worker).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "The platform's API: ids are made through the binding.")]
public sealed class DurableObjectNamespace
{
    private readonly IGrainFactory _grains;
    private readonly InvocationContext _context;

    internal DurableObjectNamespace(IGrainFactory grains, InvocationContext context, string workerName, string className)
    {
        _grains = grains;
        _context = context;
        WorkerName = workerName;
        ClassName = className;
    }

    public string WorkerName { get; }
    public string ClassName { get; }

    /// <summary>The id of a named object in this namespace: another namespace gives the same name another id.</summary>
    public DurableObjectIdHandle IdFromName(string name) => new(DurableObjectId.FromName(ClassName, name), name);

    public DurableObjectIdHandle IdFromString(string id) =>
        DurableObjectId.IsValid(id)
            ? new(id, null)
            : throw new ArgumentException($"'{id}' is not a Durable Object id: ids are 64 lowercase hex digits.", nameof(id));

    public DurableObjectIdHandle NewUniqueId() => new(DurableObjectId.NewUnique(), null);

    public DurableObjectStub Get(DurableObjectIdHandle id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return new DurableObjectStub(StringKeyGrains.Get<IDurableObjectGrain>(_grains, DurableObjectKey.Format(WorkerName, ClassName, id.Id)), id, _context);
    }
}

/// <summary>A Durable Object id; Name is set when it came from IdFromName.</summary>
public sealed record DurableObjectIdHandle(string Id, string? Name)
{
    public override string ToString() => Id;
}

/// <summary>A stub to call one Durable Object.</summary>
public sealed class DurableObjectStub
{
    private readonly IDurableObjectGrain _grain;
    private readonly InvocationContext _context;

    internal DurableObjectStub(IDurableObjectGrain grain, DurableObjectIdHandle id, InvocationContext context)
    {
        _grain = grain;
        _context = context;
        Id = id;
    }

    public DurableObjectIdHandle Id { get; }

    public Task<WorkerResponse> FetchAsync(WorkerRequest request) => FetchAsync(request, fromJavaScript: false);

    /// <summary>A fetch from JavaScript code, which may enter the object while its handler awaits (see <see cref="DurableObjectGrain.Interleaves"/>).</summary>
    internal async Task<WorkerResponse> FetchAsync(WorkerRequest request, bool fromJavaScript)
    {
        ArgumentNullException.ThrowIfNull(request);

        // The object learns the name its id came from (the platform's ctx.id.name) from this header
        // alone: whatever the request carried under that name is replaced, never appended to.
        var headers = request.Headers.RemoveAll(h => string.Equals(h.Key, DurableObjectHeaders.Name, StringComparison.OrdinalIgnoreCase) || string.Equals(h.Key, DurableObjectHeaders.Caller, StringComparison.OrdinalIgnoreCase));
        if (Id.Name is { } name)
        {
            headers = headers.Add(new(DurableObjectHeaders.Name, name));
        }

        if (fromJavaScript)
        {
            headers = headers.Add(new(DurableObjectHeaders.Caller, "javascript"));
        }

        request = request with { Headers = headers };

        var answer = await _grain.Fetch(request);
        _context.LastDurableObject = (answer.VersionId, answer.ResetCount);
        return answer.Response;
    }

    /// <summary>A JS RPC call to the object (its arguments and answer encoded by the JavaScript runtime).</summary>
    public async Task<RpcAnswer> CallAsync(RpcCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var answer = await _grain.Invoke(call);
        _context.LastDurableObject = (answer.VersionId, answer.ResetCount);
        return answer;
    }
}

/// <summary>A service binding to another Worker (its default export or a named entrypoint); the version key and override headers pass through.</summary>
public sealed class ServiceBinding
{
    private readonly IGrainFactory _grains;
    private readonly InvocationContext _context;

    internal ServiceBinding(IGrainFactory grains, InvocationContext context, string workerName, string? entrypoint = null)
    {
        _grains = grains;
        _context = context;
        WorkerName = workerName;
        Entrypoint = entrypoint;
    }

    public string WorkerName { get; }

    /// <summary>The named entrypoint the binding calls; null for the default export.</summary>
    public string? Entrypoint { get; }

    public async Task<WorkerResponse> FetchAsync(WorkerRequest request)
    {
        var result = await StringKeyGrains.Get<IWorkerGrain>(_grains, WorkerName).Invoke(_context.PassVersionHeaders(request) with { Entrypoint = Entrypoint });
        return result.Response;
    }

    /// <summary>A JS RPC call to the entrypoint (its arguments and answer encoded by the JavaScript runtime).</summary>
    public Task<RpcAnswer> CallAsync(RpcCall call)
    {
        var headers = _context.PassVersionHeaders(new WorkerRequest { Url = $"https://{WorkerName}/" }).Headers;
        return StringKeyGrains.Get<IWorkerGrain>(_grains, WorkerName).InvokeRpc(new ServiceCall(Entrypoint, call, headers));
    }
}

internal static class DurableObjectHeaders
{
    /// <summary>Carries the name an object's id came from, so the object can know it.</summary>
    public const string Name = "X-Simulator-Durable-Object-Name";

    /// <summary>Marks a request from JavaScript code, which may interleave with the object's running handler.</summary>
    public const string Caller = "X-Simulator-Durable-Object-Caller";
}
