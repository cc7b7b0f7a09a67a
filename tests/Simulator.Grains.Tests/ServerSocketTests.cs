using Microsoft.Extensions.Time.Testing;
using Simulator.Contracts;
using Simulator.Core.Tests;
using Simulator.Grains.Runtime.WebSockets;

namespace Simulator.Grains.Tests;

/// <summary>
/// A server end's deliveries to a gateway in its own process: a method call, which Orleans'
/// response timeout does not bound, so the socket bounds it (30 s of wall time, a fake clock here).
/// </summary>
public sealed class ServerSocketTests
{
    [Fact]
    public async Task A_gateway_in_this_process_that_never_takes_the_frames_loses_the_socket_after_30_seconds()
    {
        var clock = new FakeTimeProvider();
        var gateway = new InProcessGateway(answers: false);
        var socket = new ServerSocket(Guid.NewGuid(), clock);
        var gone = new TaskCompletionSource<ServerSocket>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.PeerGone = s => gone.TrySetResult(s);
        socket.Connect(gateway, "silo-a", inProcess: gateway);

        socket.Send(SocketFrame.Message("one"));
        await gateway.Called.Task.WaitAsync(TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(gone.Task.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Same(socket, await gone.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["one"], gateway.Delivered.Select(f => f.Text));
    }

    [Fact]
    public async Task A_gateway_in_this_process_that_takes_the_frames_gets_them_in_order_and_keeps_the_socket()
    {
        var clock = new FakeTimeProvider();
        var gateway = new InProcessGateway(answers: true);
        var socket = new ServerSocket(Guid.NewGuid(), clock);
        var gone = false;
        socket.PeerGone = _ => gone = true;

        // Frames sent before the client connected wait for it, then go in order.
        socket.Send(SocketFrame.Message("one"));
        socket.Send(SocketFrame.Message("two"));
        socket.Connect(gateway, "silo-a", inProcess: gateway);
        await gateway.Called.Task.WaitAsync(TimeSpan.FromSeconds(10));
        socket.Send(SocketFrame.Message("three"));
        await Eventually.Until("three frames delivered", TimeSpan.FromSeconds(10), () => gateway.Delivered.Count == 3);

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(["one", "two", "three"], gateway.Delivered.Select(f => f.Text));
        Assert.False(gone);
    }

    // A gateway's delivery: taken at once, or never answered (a client that stopped reading).
    private sealed class InProcessGateway(bool answers) : ISocketPeer
    {
        private readonly Lock _lock = new();
        private readonly List<SocketFrame> _delivered = [];

        public TaskCompletionSource Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<SocketFrame> Delivered
        {
            get
            {
                lock (_lock)
                {
                    return [.. _delivered];
                }
            }
        }

        public Task<bool> Deliver(Guid socket, string? ownerSilo, SocketFrame[] frames)
        {
            lock (_lock)
            {
                _delivered.AddRange(frames);
            }

            Called.TrySetResult();
            return answers ? Task.FromResult(true) : new TaskCompletionSource<bool>().Task;
        }
    }
}
