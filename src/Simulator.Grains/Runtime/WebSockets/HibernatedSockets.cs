using Simulator.Contracts;

namespace Simulator.Grains.Runtime.WebSockets;

/// <summary>An object's hibernatable sockets and settings while it hibernates (kept in its stored state).</summary>
[GenerateSerializer, Alias("dosim.HibernatedSockets")]
public sealed class HibernatedSockets
{
    [Id(0)] public List<HibernatedSocket> Sockets { get; set; } = [];
    [Id(1)] public string? AutoRequest { get; set; }
    [Id(2)] public string? AutoResponse { get; set; }
    [Id(3)] public int? EventTimeoutMs { get; set; }
}

/// <summary>One hibernated socket: where its client is, its tags and attachment.</summary>
[GenerateSerializer, Alias("dosim.HibernatedSocket")]
public sealed class HibernatedSocket
{
    [Id(0)] public Guid Id { get; set; }
    [Id(1)] public ISocketPeer? Peer { get; set; }
    [Id(2)] public string? PeerSilo { get; set; }
    [Id(3)] public string[] Tags { get; set; } = [];
    [Id(4)] public byte[]? Attachment { get; set; }
    [Id(5)] public long? AutoResponseMs { get; set; }
    [Id(6)] public ISocketEndpoint? Owner { get; set; }
    [Id(7)] public bool ClosedOutgoing { get; set; }
}
