using Simulator.Contracts;

namespace Simulator.Grains.Runtime.WebSockets;

/// <summary>
/// The server end of one WebSocket, where its code runs (an object or a Worker's invocation). Its
/// frames go to the gateway that holds the client's connection, in order: one delivery at a time,
/// carrying every frame queued since the last, and held until the client has connected.
/// <paramref name="wallClock"/> times a delivery out (the system's clock; a fake in tests).
/// </summary>
internal sealed class ServerSocket(Guid id, TimeProvider? wallClock = null)
{
    public const int Connecting = 0;
    public const int Open = 1;
    public const int Closing = 2;
    public const int Closed = 3;

    // A delivery to a gateway in this process is a method call, which Orleans' response timeout
    // (30 s) no longer bounds: a client that stops reading would hold the pump for good.
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _wallClock = wallClock ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private List<(SocketFrame Frame, Task<bool>? Written)>? _queue;
    private bool _pumping;

    // Where deliveries go: the peer's reference, or the gateway itself when it runs in this process.
    private ISocketPeer? _deliverTo;

    public Guid Id { get; } = id;

    /// <summary>WebSocket.readyState as the code reads it: a server end is open from the start.</summary>
    public int ReadyState { get; set; } = Open;

    /// <summary>Accepted with the hibernation API (<c>ctx.acceptWebSocket</c>): events go to the class's handlers.</summary>
    public bool Hibernatable { get; set; }

    public string[] Tags { get; set; } = [];

    /// <summary>What <c>serializeAttachment</c> stored, cloned; null when nothing is.</summary>
    public byte[]? Attachment { get; set; }

    /// <summary>When the object's auto-response last answered on this socket (Unix ms, simulated clock).</summary>
    public long? AutoResponseMs { get; set; }

    /// <summary>This end sent its Close frame: send() throws from now on.</summary>
    public bool ClosedOutgoing { get; private set; }

    /// <summary>The peer's Close frame (or its drop) has arrived.</summary>
    public bool ClosedIncoming { get; set; }

    /// <summary>The standard-API socket's JavaScript object, which its events are dispatched on.</summary>
    public object? Script { get; set; }

    /// <summary>The engine-side handle the code holds (per engine: an object rebuilt on another version gets a new one).</summary>
    public object? Handle { get; set; }

    /// <summary>Where the server end lives, once a response has handed the client end to a gateway.</summary>
    public ISocketEndpoint? Owner { get; set; }

    public ISocketPeer? Peer { get; private set; }

    /// <summary>The silo whose gateway holds the client's connection; null when it is not a silo's.</summary>
    public string? PeerSilo { get; private set; }

    /// <summary>Where the server end runs now, told to the gateway with each delivery (null: hibernated).</summary>
    public Func<string?> Where { get; set; } = static () => null;

    /// <summary>Where its messages are counted: its class's (or Worker's) counts on the version that runs it.</summary>
    public Telemetry.SocketTraffic? Traffic { get; set; }

    /// <summary>What to do when the gateway no longer has the client's connection (its silo died, or the client left).</summary>
    public Action<ServerSocket>? PeerGone { get; set; }

    /// <summary>
    /// Queues a frame for the client; a close frame is the last one this end sends. A frame sent by
    /// code waits for <paramref name="written"/>, the writes of the turn that sent it (the platform's
    /// output gate): it is dropped if they fail.
    /// </summary>
    public void Send(SocketFrame frame, Task<bool>? written = null)
    {
        lock (_lock)
        {
            if (ClosedOutgoing)
            {
                return;
            }

            if (frame.IsClose)
            {
                ClosedOutgoing = true;
                ReadyState = ClosedIncoming ? Closed : Closing;
            }

            (_queue ??= []).Add((frame, written));
            if (Peer is null || _pumping)
            {
                return;
            }

            _pumping = true;
        }

        _ = Task.Run(PumpAsync);
    }

    /// <summary>
    /// The client's connection is open at <paramref name="peer"/> (<paramref name="inProcess"/>: the
    /// same gateway, when it runs in this process): what was queued goes now.
    /// </summary>
    public void Connect(ISocketPeer peer, string? peerSilo, ISocketPeer? inProcess = null)
    {
        lock (_lock)
        {
            (Peer, PeerSilo, _deliverTo) = (peer, peerSilo, inProcess ?? peer);
            if (_queue is not { Count: > 0 } || _pumping)
            {
                return;
            }

            _pumping = true;
        }

        _ = Task.Run(PumpAsync);
    }

    /// <summary>A connection restored from hibernation: the peer as it was, with nothing queued.</summary>
    public void Restore(ISocketPeer? peer, string? peerSilo, bool closedOutgoing, ISocketPeer? inProcess = null) =>
        (Peer, PeerSilo, ClosedOutgoing, _deliverTo) = (peer, peerSilo, closedOutgoing, inProcess ?? peer);

    /// <summary>Tells the gateway where the server end runs now (null: it hibernated), without a frame.</summary>
    public Task MovedAsync(string? silo) => _deliverTo is { } peer ? peer.Deliver(Id, silo, []) : Task.CompletedTask;

    private async Task PumpAsync()
    {
        while (true)
        {
            (SocketFrame Frame, Task<bool>? Written)[] queued;
            lock (_lock)
            {
                if (_queue is not { Count: > 0 })
                {
                    _pumping = false;
                    return;
                }

                queued = [.. _queue];
                _queue.Clear();
            }

            var batch = new List<SocketFrame>(queued.Length);
            foreach (var (frame, written) in queued)
            {
                if (written is null || await written)
                {
                    batch.Add(frame);
                }
            }

            bool delivered;
            try
            {
                delivered = await _deliverTo!.Deliver(Id, Where(), [.. batch]).WaitAsync(DeliveryTimeout, _wallClock);
                if (delivered)
                {
                    Traffic?.AddSent(batch.Count(f => !f.IsClose));
                }
            }
            catch (Exception)
            {
                // The gateway's silo is gone (or unreachable): the connection with it.
                delivered = false;
            }

            if (!delivered)
            {
                lock (_lock)
                {
                    (_queue, _pumping) = (null, false);
                }

                PeerGone?.Invoke(this);
                return;
            }
        }
    }
}
