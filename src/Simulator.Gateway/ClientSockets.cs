using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using Simulator.Contracts;

namespace Simulator.Gateway;

/// <summary>
/// The WebSockets a gateway accepted: each client connection stays here, joined to its server end
/// (an object's grain or a Worker's invocation, on any silo) through <see cref="SocketLink"/>. The
/// client's frames go to the server end in order, one call at a time; the server end's come back
/// through <see cref="Deliver"/>. A silo that dies takes its objects' ends with it: their clients
/// get a close frame (1001) and may reconnect.
/// </summary>
public sealed class ClientSockets : ISocketPeer
{
    private readonly ConcurrentDictionary<Guid, ClientSocket> _open = new();
    private readonly IGrainFactory _grains;
    private readonly string? _silo;
    private readonly Lazy<ISocketPeer> _reference;

    public ClientSockets(IGrainFactory grains, ISiloMembership? membership)
    {
        (_grains, _silo) = (grains, membership?.LocalSilo);
        _reference = new(() =>
        {
            var reference = _grains.CreateObjectReference<ISocketPeer>(this);
            membership?.AddLocalPeer(reference, this);
            return reference;
        });
        if (membership is not null)
        {
            membership.SiloDied += OwnerSiloDied;
        }
    }

    public Task<bool> Deliver(Guid socket, string? ownerSilo, SocketFrame[] frames)
    {
        if (!_open.TryGetValue(socket, out var client))
        {
            return Task.FromResult(false);
        }

        client.OwnerSilo = ownerSilo;
        // Word of where the server end runs now, without a frame: nothing to wait for (it may come
        // from an object's own turn, as it activates or hibernates).
        return frames.Length == 0 ? Task.FromResult(true) : client.SendAsync(frames);
    }

    /// <summary>Runs one accepted connection until it closes.</summary>
    public async Task RunAsync(WebSocket webSocket, SocketLink link, CancellationToken aborted)
    {
        using var client = new ClientSocket(webSocket, link);
        _open[link.Id] = client;
        try
        {
            try
            {
                client.OwnerSilo = await link.Owner.SocketConnected(link.Id, _reference.Value, _silo);
            }
            catch (Exception ex)
            {
                await client.CloseAsync(WebSocketLimits.ResetCode, ex.GetBaseException().Message);
                return;
            }

            await client.ReadAsync(aborted);
        }
        finally
        {
            _open.TryRemove(link.Id, out _);
        }
    }

    private void OwnerSiloDied(string silo)
    {
        foreach (var client in _open.Values.Where(c => c.OwnerSilo == silo))
        {
            _ = client.CloseAsync(WebSocketLimits.GoneCode, WebSocketLimits.GoneReason);
        }
    }

    private sealed class ClientSocket(WebSocket webSocket, SocketLink link) : IDisposable
    {
        private static readonly TimeSpan CloseReplyWait = TimeSpan.FromSeconds(10);
        private readonly SemaphoreSlim _sending = new(1, 1);
        private readonly Lock _lock = new();
        private readonly TaskCompletionSource _serverClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private List<SocketFrame>? _inbound;
        private bool _forwarding;

        public string? OwnerSilo { get; set; }

        public void Dispose() => _sending.Dispose();

        public async Task<bool> SendAsync(SocketFrame[] frames)
        {
            await _sending.WaitAsync();
            try
            {
                foreach (var frame in frames)
                {
                    if (webSocket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                    {
                        return webSocket.State != WebSocketState.Aborted;
                    }

                    if (frame.IsClose)
                    {
                        await webSocket.CloseOutputAsync(Status(frame.CloseCode!.Value), frame.CloseCode == 1005 ? null : frame.CloseReason, CancellationToken.None);
                        _serverClosed.TrySetResult();
                        return true;
                    }

                    if (frame.Text is { } text)
                    {
                        await webSocket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    }
                    else
                    {
                        await webSocket.SendAsync(frame.Bytes ?? [], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
                    }
                }

                return true;
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
            {
                return false;
            }
            finally
            {
                _sending.Release();
            }
        }

        /// <summary>Closes the client's connection from here (the server end is gone), telling the server end if it is still there.</summary>
        public async Task CloseAsync(int code, string reason)
        {
            var text = Encoding.UTF8.GetByteCount(reason) > 123 ? reason[..Math.Min(reason.Length, 100)] : reason;
            await SendAsync([SocketFrame.Close(code, text)]);
        }

        public async Task ReadAsync(CancellationToken aborted)
        {
            using var message = new MemoryStream();
            while (true)
            {
                ValueWebSocketReceiveResult result;
                message.SetLength(0);
                if (message.Capacity > 16 * 1024)
                {
                    // A large message's buffer is not kept for the rest of the socket's life.
                    message.Capacity = 0;
                }

                byte[]? buffer = null;
                try
                {
                    // An idle socket waits with a zero-byte read, holding no buffer: a buffer is
                    // rented only while a message comes in.
                    // (An empty message is whole after it.)
                    result = await webSocket.ReceiveAsync(Memory<byte>.Empty, aborted);
                    while (result.MessageType != WebSocketMessageType.Close && !result.EndOfMessage)
                    {
                        buffer ??= ArrayPool<byte>.Shared.Rent(16 * 1024);
                        result = await webSocket.ReceiveAsync(buffer.AsMemory(), aborted);
                        if (result.MessageType == WebSocketMessageType.Close)
                        {
                            break;
                        }

                        message.Write(buffer, 0, result.Count);
                        if (message.Length > WebSocketLimits.MaxMessageBytes)
                        {
                            // As the platform: a message over the limit closes the socket.
                            const string tooBig = "Message is too large.";
                            await CloseAsync(WebSocketLimits.MessageTooBigCode, tooBig);
                            Forward(SocketFrame.Close(WebSocketLimits.MessageTooBigCode, tooBig, wasClean: false));
                            return;
                        }
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
                {
                    Forward(SocketFrame.Close(WebSocketLimits.DroppedCode, WebSocketLimits.DroppedReason, wasClean: false));
                    return;
                }
                finally
                {
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    var code = (int?)webSocket.CloseStatus ?? 1005;
                    Forward(SocketFrame.Close(code == (int)WebSocketCloseStatus.Empty ? 1005 : code, webSocket.CloseStatusDescription ?? string.Empty));
                    if (webSocket.State == WebSocketState.CloseReceived)
                    {
                        // The server end answers (the runtime itself, or the code's close()); a
                        // client left waiting sees its connection dropped.
                        await Task.WhenAny(_serverClosed.Task, Task.Delay(CloseReplyWait, aborted));
                        if (!_serverClosed.Task.IsCompleted)
                        {
                            // No answer came: the server end hears the connection drop, so it stops listing the socket.
                            Forward(SocketFrame.Close(WebSocketLimits.DroppedCode, WebSocketLimits.DroppedReason, wasClean: false));
                        }
                    }

                    return;
                }

                Forward(result.MessageType == WebSocketMessageType.Text
                    ? SocketFrame.Message(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length))
                    : SocketFrame.Message(message.ToArray()));
            }
        }

        // The client's frames go to the server end in order: one call at a time, with all that
        // arrived meanwhile.
        private void Forward(SocketFrame frame)
        {
            lock (_lock)
            {
                (_inbound ??= []).Add(frame);
                if (_forwarding)
                {
                    return;
                }

                _forwarding = true;
            }

            // Started here: it runs until its grain call is sent, then the read loop goes on.
            _ = ForwardAsync();
        }

        private async Task ForwardAsync()
        {
            while (true)
            {
                SocketFrame[] batch;
                lock (_lock)
                {
                    if (_inbound is not { Count: > 0 })
                    {
                        _forwarding = false;
                        return;
                    }

                    batch = [.. _inbound];
                    _inbound.Clear();
                }

                try
                {
                    await link.Owner.SocketReceived(link.Id, batch);
                }
                catch (Exception) when (batch.Any(f => f.IsClose))
                {
                    // The server end is gone and the client has left: nothing is left to tell.
                }
                catch (Exception)
                {
                    // The server end could not take the frames (its silo died mid-call, say): the
                    // client hears it, and may reconnect.
                    await CloseAsync(WebSocketLimits.GoneCode, WebSocketLimits.GoneReason);
                }
            }
        }

        private static WebSocketCloseStatus Status(int code) => code == 1005 ? WebSocketCloseStatus.Empty : (WebSocketCloseStatus)code;
    }
}
