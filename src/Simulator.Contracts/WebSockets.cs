namespace Simulator.Contracts;

/// <summary>What crosses between a client's WebSocket and its server end: a message, or the close.</summary>
[GenerateSerializer, Immutable, Alias("dosim.SocketFrame")]
public sealed record SocketFrame
{
    /// <summary>A text message; null for a binary message or a close.</summary>
    [Id(0)] public string? Text { get; init; }

    /// <summary>A binary message; null for a text message or a close.</summary>
    [Id(1)] public byte[]? Bytes { get; init; }

    /// <summary>The close code when this frame closes the socket; null for a message.</summary>
    [Id(2)] public int? CloseCode { get; init; }

    [Id(3)] public string CloseReason { get; init; } = string.Empty;

    /// <summary>Whether the peer closed with a Close frame (false: the connection dropped, code 1006).</summary>
    [Id(4)] public bool WasClean { get; init; } = true;

    public bool IsClose => CloseCode is not null;

    public static SocketFrame Message(string text) => new() { Text = text };

    public static SocketFrame Message(byte[] bytes) => new() { Bytes = bytes };

    public static SocketFrame Close(int code, string reason, bool wasClean = true) => new() { CloseCode = code, CloseReason = reason, WasClean = wasClean };
}

/// <summary>
/// The side of a WebSocket that holds the client's connection: a gateway, which keeps the socket on
/// the silo (or client) that accepted it. The server end sends it frames in order, one call at a time.
/// </summary>
[Alias("dosim.ISocketPeer")]
public interface ISocketPeer : IGrainObserver
{
    /// <summary>
    /// Frames for the client, in order; <paramref name="ownerSilo"/> is where the server end runs now
    /// (null: it hibernated). False when the gateway no longer has the socket (the client left).
    /// The array is made for the call and never changed after it: Orleans passes it without a copy.
    /// </summary>
    [Alias("Deliver")]
    Task<bool> Deliver(Guid socket, string? ownerSilo, [Immutable] SocketFrame[] frames);
}

/// <summary>
/// Where a WebSocket's server end lives: a Durable Object (its grain) or a Worker's invocation. The
/// gateway connects the client's socket to it, then sends it the client's frames in order.
/// </summary>
[Alias("dosim.ISocketEndpoint")]
public interface ISocketEndpoint : IGrainObserver
{
    /// <summary>The client's connection is open at <paramref name="peer"/> (on <paramref name="peerSilo"/>, when it runs in a silo); returns where the server end runs.</summary>
    [Alias("SocketConnected")]
    Task<string?> SocketConnected(Guid socket, ISocketPeer peer, string? peerSilo);

    /// <summary>The client's frames, in order; a close frame is the last (the array, as Deliver's, is not copied).</summary>
    [Alias("SocketReceived")]
    Task SocketReceived(Guid socket, [Immutable] SocketFrame[] frames);
}

/// <summary>The client end of a WebSocket a Worker returned with a 101 response: which socket, and where its server end lives.</summary>
[GenerateSerializer, Immutable, Alias("dosim.SocketLink")]
public sealed record SocketLink([property: Id(0)] Guid Id, [property: Id(1)] ISocketEndpoint Owner);

/// <summary>The platform's WebSocket limits and the close codes dosim sends.</summary>
public static class WebSocketLimits
{
    /// <summary>The largest message a socket receives (workerd's WEBSOCKET_MAX_MESSAGE_SIZE, 32 MiB).</summary>
    public const int MaxMessageBytes = 32 * 1024 * 1024;

    /// <summary>The close code the platform sends for a message over the limit (1009, Message Too Big).</summary>
    public const int MessageTooBigCode = 1009;

    /// <summary>
    /// The close code dosim sends when the object resets (a code update): no primary source gives the
    /// platform's, so dosim sends 1012 (Service Restart), which tells a client to reconnect, with the
    /// platform's documented error text as the reason.
    /// </summary>
    public const int ResetCode = 1012;

    public const string ResetReason = "Durable Object connection closed because the object was reset.";

    /// <summary>The close code when the server end's silo goes away (1001, Going Away).</summary>
    public const int GoneCode = 1001;

    public const string GoneReason = "The Durable Object's host went away. Reconnect.";

    /// <summary>What a server end hears when the client's connection drops without a Close frame (the platform's words).</summary>
    public const int DroppedCode = 1006;

    public const string DroppedReason = "WebSocket disconnected without sending Close frame.";
}

/// <summary>
/// The silo a gateway runs in, and word of other silos leaving the cluster (declared dead), by
/// parsable address: the gateway closes the sockets whose objects ran there, and objects hear the
/// drop of sockets whose clients were held there. The gateway also tells its silo it is there.
/// </summary>
public interface ISiloMembership
{
    string LocalSilo { get; }

    event Action<string>? SiloDied;

    /// <summary>
    /// A gateway in the silo's own process: objects here deliver to <paramref name="reference"/> with
    /// a call on <paramref name="peer"/> instead of a message through the silo.
    /// </summary>
    void AddLocalPeer(ISocketPeer reference, ISocketPeer peer);
}
