using System.Collections.Immutable;
using Simulator.Contracts;

namespace Simulator.Grains.Runtime;

/// <summary>A Worker's code: its fetch handler. One instance per request.</summary>
public interface IWorker
{
    Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env);
}

/// <summary>
/// A Durable Object class. An instance is built with its <see cref="DurableObjectState"/> and the
/// <see cref="WorkerEnv"/> of its version (constructor parameters), and lives until the object resets
/// or goes idle. Fields are its in-memory state; <see cref="DurableObjectState.Storage"/> is durable.
/// </summary>
public interface IDurableObject
{
    Task<WorkerResponse> FetchAsync(WorkerRequest request);
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
}

/// <summary>
/// A Worker version's bindings: vars, secrets, Durable Object namespaces, service bindings and
/// the version metadata. Built per invocation.
/// </summary>
public sealed class WorkerEnv
{
    private readonly ImmutableDictionary<string, DurableObjectNamespace> _durableObjects;
    private readonly ImmutableDictionary<string, ServiceBinding> _services;

    internal WorkerEnv(
        VersionMetadata version,
        ImmutableSortedDictionary<string, string> vars,
        ImmutableSortedDictionary<string, string> secrets,
        ImmutableDictionary<string, DurableObjectNamespace> durableObjects,
        ImmutableDictionary<string, ServiceBinding> services)
    {
        Version = version;
        Vars = vars;
        Secrets = secrets;
        _durableObjects = durableObjects;
        _services = services;
    }

    public VersionMetadata Version { get; }
    public ImmutableSortedDictionary<string, string> Vars { get; }
    public ImmutableSortedDictionary<string, string> Secrets { get; }

    public DurableObjectNamespace DurableObject(string binding) =>
        _durableObjects.TryGetValue(binding, out var ns)
            ? ns
            : throw new InvalidOperationException($"No Durable Object binding '{binding}'. Bindings of this script: {Names(_durableObjects.Keys)}.");

    public ServiceBinding Service(string binding) =>
        _services.TryGetValue(binding, out var service)
            ? service
            : throw new InvalidOperationException($"No service binding '{binding}'. Bindings of this script: {Names(_services.Keys)}.");

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names.Order()) : "none";
}
