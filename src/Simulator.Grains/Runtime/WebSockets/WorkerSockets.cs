using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Simulator.Contracts;
using Simulator.Grains.Runtime.JavaScript;

namespace Simulator.Grains.Runtime.WebSockets;

/// <summary>
/// The server ends of the sockets Workers accepted themselves (not objects') on this silo: each
/// lives with the invocation that returned its 101 until both sides have closed. Gateways reach
/// them through one Orleans observer per silo, which also keeps them alive (observers are held
/// weakly).
/// </summary>
internal sealed class WorkerSockets : ISocketEndpoint
{
    private static readonly ConditionalWeakTable<IGrainFactory, WorkerSockets> Silos = new();

    private readonly ConcurrentDictionary<Guid, Held> _open = new();
    private readonly ISocketEndpoint _reference;

    private WorkerSockets(IGrainFactory grains)
    {
        // Orleans makes an observer reference only outside a grain's turn, and a Worker's invocation
        // runs in one: made once, on a thread-pool thread (a queued work item, which a wait cannot
        // run inline on the grain's thread as it could a task).
        var made = new TaskCompletionSource<ISocketEndpoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                made.SetResult(grains.CreateObjectReference<ISocketEndpoint>(this));
            }
            catch (Exception ex)
            {
                made.SetException(ex);
            }
        }, null);
        _reference = made.Task.GetAwaiter().GetResult();
    }

    public static WorkerSockets For(IGrainFactory grains) => Silos.GetValue(grains, static g => new WorkerSockets(g));

    /// <summary>Holds a socket a Worker's response hands to a gateway; returns where the gateway reaches it.</summary>
    public ISocketEndpoint Hold(JavaScriptEngine engine, ServerSocket socket, InvocationContext context)
    {
        // The socket's events run the Worker's code of the version that accepted it: its calls carry that version.
        _open[socket.Id] = new Held(engine, socket, context, Telemetry.CallerContext.Current);
        socket.PeerGone = s => _ = SocketReceived(s.Id, [SocketFrame.Close(WebSocketLimits.DroppedCode, WebSocketLimits.DroppedReason, wasClean: false)]);
        return _reference;
    }

    public Task<string?> SocketConnected(Guid socket, ISocketPeer peer, string? peerSilo)
    {
        if (!_open.TryGetValue(socket, out var held))
        {
            throw new InvalidOperationException("The Worker's WebSocket is gone (its server end closed before the client connected).");
        }

        held.Socket.Connect(peer, peerSilo);
        return Task.FromResult<string?>(peerSilo);
    }

    public async Task SocketReceived(Guid socket, SocketFrame[] frames)
    {
        if (!_open.TryGetValue(socket, out var held) || held.Socket.ClosedIncoming)
        {
            return;
        }

        var server = held.Socket;
        server.Traffic?.AddReceived(frames.Count(f => !f.IsClose));
        var close = frames.FirstOrDefault(f => f.IsClose);
        if (close is not null)
        {
            server.ClosedIncoming = true;
            if (held.Engine.AutoReplyToClose && close.WasClean)
            {
                server.Send(SocketFrame.Close(close.CloseCode!.Value, close.CloseReason));
            }

            server.ReadyState = server.ClosedOutgoing || !close.WasClean ? ServerSocket.Closed : ServerSocket.Closing;
        }

        try
        {
            Telemetry.CallerContext.Restore(held.Caller);
            await held.Engine.WorkerSocketEventsAsync(held.Context, server, frames);
        }
        finally
        {
            if (close is not null)
            {
                _open.TryRemove(socket, out _);
            }
        }
    }

    private sealed record Held(JavaScriptEngine Engine, ServerSocket Socket, InvocationContext Context, CallerVersion? Caller);
}
