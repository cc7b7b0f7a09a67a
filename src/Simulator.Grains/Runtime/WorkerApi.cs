using System.Collections.Immutable;
using System.Globalization;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Scripts;

namespace Simulator.Grains.Runtime;

/// <summary>A Worker's code: its fetch handler. One instance per request.</summary>
public interface IWorker
{
    Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env);

    /// <summary>
    /// A JS RPC call over a service binding to an entrypoint (null: the default export). Only
    /// JavaScript Workers answer it; a C# Worker refuses it, as the platform refuses a method its
    /// entrypoint does not have.
    /// </summary>
    Task<RpcOutcome> CallAsync(string? entrypoint, RpcCall rpc, WorkerEnv env) => Task.FromResult(RpcOutcome.Refused(
        "TypeError", $"The RPC receiver does not implement the method \"{rpc.Member}\". (It is the C# Worker {GetType().Name}: dosim's JS RPC reaches JavaScript Workers only; call its fetch().)"));
}

/// <summary>
/// A Durable Object class. An instance is built with its <see cref="DurableObjectState"/> and the
/// <see cref="WorkerEnv"/> of its version (constructor parameters), and lives until the object resets
/// or goes idle. Fields are its in-memory state; <see cref="DurableObjectState.Storage"/> is durable.
/// </summary>
public interface IDurableObject
{
    Task<WorkerResponse> FetchAsync(WorkerRequest request);

    /// <summary>The object's alarm, when it is due. A class without a handler cannot set one (the runtime refuses setAlarm).</summary>
    Task AlarmAsync(AlarmInfo info) => Task.FromException(new InvalidOperationException($"Durable Object class {GetType().Name} has no alarm() handler."));

    /// <summary>
    /// A JS RPC call (<c>stub.method(...args)</c>). Only JavaScript classes that extend
    /// <c>DurableObject</c> answer it; a C# class refuses it as the platform refuses a class that
    /// does not support RPC.
    /// </summary>
    Task<RpcOutcome> CallAsync(RpcCall rpc) => Task.FromResult(RpcOutcome.Refused(
        "TypeError", $"The receiving Durable Object does not support RPC, because its class was not declared with `extends DurableObject`. (It is the C# class {GetType().Name}: dosim's JS RPC reaches JavaScript classes only.)"));
}

/// <summary>What an object's <c>alarm(alarmInfo)</c> handler is given: how many times this alarm has been retried.</summary>
public readonly record struct AlarmInfo(int RetryCount)
{
    public bool IsRetry => RetryCount > 0;
}

/// <summary>What an RPC call gave: the encoded value, or the encoded error and its text (<see cref="Error"/>) when it threw.</summary>
public readonly record struct RpcOutcome(byte[] Value, string? Error)
{
    public bool Threw => Error is not null;

    /// <summary>The runtime's own refusal of a call, as an error of a standard type.</summary>
    public static RpcOutcome Refused(string name, string message) => new(JavaScript.StructuredClone.Error(name, message), $"{name}: {message}");
}

/// <summary>The version metadata binding: the version the code runs.</summary>
public sealed record VersionMetadata(string Id, string? Tag, string Timestamp);

/// <summary>What a Durable Object instance is built with.</summary>
public sealed class DurableObjectState(string id, string? name, DurableObjectStorage storage)
{
    /// <summary>The object's id: 64 hex digits.</summary>
    public string Id { get; } = id;

    /// <summary>The name the id came from, when it came from IdFromName.</summary>
    public string? Name { get; } = name;

    public DurableObjectStorage Storage { get; } = storage;

    /// <summary>
    /// Breaks this instance (as the platform breaks an object whose <c>blockConcurrencyWhile</c>
    /// failed): calls in flight fail with the reason, and the next call builds a new instance from
    /// durable storage. The host sets it; it may be called from any thread.
    /// </summary>
    internal Action<Exception>? Break { get; init; }

    /// <summary>The object's WebSockets (kept by its grain across instances).</summary>
    internal WebSockets.ObjectSockets? Sockets { get; init; }
}

/// <summary>
/// A Worker version's bindings: vars, secrets, Durable Object namespaces, service bindings and
/// the version metadata. Built per invocation, so it holds only references: bindings are made
/// when the code asks for them.
/// </summary>
public sealed class WorkerEnv
{
    private readonly WorkerVersion _version;
    private readonly IScript _script;
    private readonly IGrainFactory _grains;
    private readonly InvocationContext _context;
    private readonly string _workerName;
    private VersionMetadata? _metadata;

    internal WorkerEnv(WorkerVersion version, IScript script, IGrainFactory grains, InvocationContext context, string workerName)
    {
        _version = version;
        _script = script;
        _grains = grains;
        _context = context;
        _workerName = workerName;
    }

    internal InvocationContext Context => _context;

    public VersionMetadata Version => _metadata ??= Metadata.GetValue(_version, static v => new(v.Id.ToString(), v.Tag, v.CreatedOn.ToString("O", CultureInfo.InvariantCulture)));

    // One per version, not per object: its strings were about 200 bytes of every active object.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<WorkerVersion, VersionMetadata> Metadata = [];

    /// <summary><c>console.log</c> and friends: the lines land in the invocation's trace event (<c>Logs</c>).</summary>
    public WorkerConsole Console => _context.Console;

    public ImmutableSortedDictionary<string, string> Vars => _version.Vars;
    public ImmutableSortedDictionary<string, string> Secrets => _version.Secrets;

    public DurableObjectNamespace DurableObject(string binding) =>
        _script.DurableObjectBindings.TryGetValue(binding, out var className)
            ? new DurableObjectNamespace(_grains, _context, _workerName, className)
            : throw new InvalidOperationException($"No Durable Object binding '{binding}'. Bindings of this script: {Names(_script.DurableObjectBindings.Keys)}.");

    public ServiceBinding Service(string binding) =>
        _script.ServiceBindings.TryGetValue(binding, out var workerName)
            ? new ServiceBinding(_grains, _context, workerName)
            : throw new InvalidOperationException($"No service binding '{binding}'. Bindings of this script: {Names(_script.ServiceBindings.Keys)}.");

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names.Order()) : "none";
}
