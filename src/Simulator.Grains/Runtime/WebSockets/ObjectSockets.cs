using Simulator.Contracts;

namespace Simulator.Grains.Runtime.WebSockets;

/// <summary>
/// A Durable Object's WebSockets: the hibernatable ones (<c>ctx.acceptWebSocket</c>) with their
/// tags and attachments, which outlive its instance, and the standard ones (<c>accept()</c>), which
/// keep it awake; with the object's auto-response and event timeout. Its grain owns it; the engine
/// reaches it through the object's instance.
/// </summary>
internal sealed class ObjectSockets(ISocketEndpoint endpoint, Func<string?> where)
{
    /// <summary>The platform's limit on one object's hibernatable sockets.</summary>
    public const int MaxSockets = 32768;

    private readonly Dictionary<Guid, ServerSocket> _all = [];

    public ISocketEndpoint Endpoint { get; } = endpoint;

    public Func<string?> Where { get; } = where;

    /// <summary>What happens when a socket's gateway no longer has its client (the grain hears it as a drop).</summary>
    public Action<ServerSocket>? PeerGone { get; set; }

    /// <summary>Where the sockets' messages are counted: the class's counts on the version the object runs.</summary>
    public Telemetry.SocketTraffic? Traffic
    {
        get;
        set
        {
            field = value;
            foreach (var socket in _all.Values)
            {
                socket.Traffic = value;
            }
        }
    }

    public (string Request, string Response)? AutoResponse { get; set; }

    public int? EventTimeoutMs { get; set; }

    public int Count => _all.Count;

    public IEnumerable<ServerSocket> All => _all.Values;

    /// <summary>Whether a standard-API socket is open: it keeps the object from hibernating.</summary>
    public bool HasStandard => _all.Values.Any(s => !s.Hibernatable && s.ReadyState < ServerSocket.Closed);

    public bool HasHibernatable => _all.Values.Any(s => s.Hibernatable);

    /// <summary>Whether a socket handed to a gateway has not been connected yet: its first frames wait in it, so the object stays awake.</summary>
    public bool HasUnconnected => _all.Values.Any(s => s.Peer is null && s.ReadyState < ServerSocket.Closed);

    public ServerSocket? Get(Guid id) => _all.GetValueOrDefault(id);

    /// <summary>Takes a socket in (accepted, or handed to a gateway) so its events reach the object.</summary>
    public void Add(ServerSocket socket)
    {
        if (_all.ContainsKey(socket.Id))
        {
            return;
        }

        if (socket.Hibernatable && _all.Values.Count(s => s.Hibernatable) >= MaxSockets)
        {
            throw new InvalidOperationException($"only {MaxSockets} websockets can be accepted on a single Durable Object instance");
        }

        socket.Where = Where;
        socket.PeerGone = PeerGone;
        socket.Traffic = Traffic;
        _all[socket.Id] = socket;
    }

    public void Remove(ServerSocket socket) => _all.Remove(socket.Id);

    /// <summary>The hibernatable sockets not yet disconnected (a closing one still counts), with the tag if one is given.</summary>
    public IEnumerable<ServerSocket> Hibernatable(string? tag) =>
        _all.Values.Where(s => s.Hibernatable && s.ReadyState < ServerSocket.Closed && (tag is null || s.Tags.Contains(tag, StringComparer.Ordinal)));

    /// <summary>Closes every socket with a close frame (the object reset), and forgets them.</summary>
    public int CloseAll(int code, string reason)
    {
        var closed = 0;
        foreach (var socket in _all.Values)
        {
            if (!socket.ClosedOutgoing)
            {
                socket.Send(SocketFrame.Close(code, reason));
                closed++;
            }

            socket.ReadyState = ServerSocket.Closed;
        }

        _all.Clear();
        return closed;
    }

    /// <summary>What survives hibernation: the hibernatable sockets still open, and the object's settings.</summary>
    public HibernatedSockets? Save()
    {
        var sockets = _all.Values.Where(s => s.Hibernatable && s.ReadyState < ServerSocket.Closed).Select(s => new HibernatedSocket
        {
            Id = s.Id,
            Peer = s.Peer,
            PeerSilo = s.PeerSilo,
            Tags = s.Tags,
            Attachment = s.Attachment,
            AutoResponseMs = s.AutoResponseMs,
            Owner = s.Owner,
            ClosedOutgoing = s.ClosedOutgoing,
        }).ToList();
        return sockets.Count == 0 ? null : new HibernatedSockets
        {
            Sockets = sockets,
            AutoRequest = AutoResponse?.Request,
            AutoResponse = AutoResponse?.Response,
            EventTimeoutMs = EventTimeoutMs,
        };
    }

    /// <summary>The sockets and settings as they were when the object hibernated; <paramref name="inProcess"/> finds a gateway in this process by its reference.</summary>
    public void Restore(HibernatedSockets saved, Func<ISocketPeer?, ISocketPeer?> inProcess)
    {
        ArgumentNullException.ThrowIfNull(saved);
        AutoResponse = saved.AutoRequest is { } request ? (request, saved.AutoResponse ?? string.Empty) : null;
        EventTimeoutMs = saved.EventTimeoutMs;
        foreach (var s in saved.Sockets)
        {
            var socket = new ServerSocket(s.Id)
            {
                Hibernatable = true,
                Tags = s.Tags,
                Attachment = s.Attachment,
                AutoResponseMs = s.AutoResponseMs,
                Owner = s.Owner,
                ReadyState = s.ClosedOutgoing ? ServerSocket.Closing : ServerSocket.Open,
            };
            socket.Restore(s.Peer, s.PeerSilo, s.ClosedOutgoing, inProcess(s.Peer));
            Add(socket);
        }
    }
}
