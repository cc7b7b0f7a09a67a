namespace Simulator.Contracts;

/// <summary>
/// A JS RPC call to a Durable Object: <c>stub.method(...args)</c>, or <c>await stub.property</c>
/// when <see cref="Arguments"/> is null. Values cross as the platform's structured clone makes them
/// (dosim's encoding of it, read and written by the JavaScript runtime).
/// </summary>
[GenerateSerializer, Immutable, Alias("dosim.RpcCall")]
public sealed record RpcCall(
    [property: Id(0)] string Member,
    [property: Id(1)] byte[]? Arguments,
    [property: Id(2)] string? ObjectName,
    [property: Id(3)] int? ResetsSeen);

/// <summary>
/// What an RPC call gave: the encoded value it returned, or (<see cref="Threw"/>) the error its
/// code threw or the runtime refused it with; and the version and reset count of the object that
/// answered.
/// </summary>
[GenerateSerializer, Immutable, Alias("dosim.RpcAnswer")]
public sealed record RpcAnswer(
    [property: Id(0)] byte[] Value,
    [property: Id(1)] bool Threw,
    [property: Id(2)] Guid VersionId,
    [property: Id(3)] int ResetCount);

/// <summary>
/// A JS RPC call over a service binding: <see cref="Call"/> on the Worker's <see cref="Entrypoint"/>
/// (a named export; null: the default export), on the version the caller's version headers
/// (<see cref="Headers"/>: version key and overrides, passed through) select.
/// </summary>
[GenerateSerializer, Immutable, Alias("dosim.ServiceCall")]
public sealed record ServiceCall(
    [property: Id(0)] string? Entrypoint,
    [property: Id(1)] RpcCall Call,
    [property: Id(2)] System.Collections.Immutable.ImmutableArray<KeyValuePair<string, string>> Headers);
