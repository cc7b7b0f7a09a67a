namespace Simulator.Grains.Telemetry;

/// <summary>
/// One silo's WebSocket counts for the sockets of one Durable Object class (or of the Worker
/// itself) on one version: messages in and messages delivered to the client's gateway, and sockets a reset closed. Each socket holds its
/// own so a frame counts without a lookup.
/// </summary>
internal sealed class SocketTraffic
{
    private long _received;
    private long _sent;
    private long _closedByReset;

    public long Received => Interlocked.Read(ref _received);

    public long Sent => Interlocked.Read(ref _sent);

    public long ClosedByReset => Interlocked.Read(ref _closedByReset);

    public void AddReceived(long count) => Interlocked.Add(ref _received, count);

    public void AddSent(long count) => Interlocked.Add(ref _sent, count);

    public void AddClosedByReset(long count) => Interlocked.Add(ref _closedByReset, count);
}
