using System.Collections.Concurrent;
using Simulator.Contracts;

namespace Simulator.Grains.Hosting;

/// <summary>
/// This silo's view of other silos leaving the cluster, for WebSockets: a gateway here closes the
/// sockets whose objects ran on a silo declared dead, and objects here hear a drop (1006) on the
/// sockets whose clients were held by a dead silo's gateway, hibernated ones too (they are woken).
/// </summary>
public sealed class SiloMembership(IClusterMembershipService membership, ILocalSiloDetails local, ActiveObjects active, IGrainFactory grains) : ISiloMembership, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly ConcurrentDictionary<DurableObjectGrain, bool> _watching = new();
    private readonly ConcurrentDictionary<string, bool> _dead = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<GrainId, ISocketPeer> _localPeers = new();
    private readonly CancellationTokenSource _stopping = new();

    public string LocalSilo { get; } = local.SiloAddress.ToParsableString();

    public event Action<string>? SiloDied;

    public void Participate(ISiloLifecycle observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        observer.Subscribe(nameof(SiloMembership), ServiceLifecycleStage.Active, _ => Start(), _ => Stop());
    }

    /// <summary>An object with sockets here hears of its clients' gateways dying.</summary>
    internal void Watch(DurableObjectGrain grain) => _watching.TryAdd(grain, true);

    internal void Unwatch(DurableObjectGrain grain) => _watching.TryRemove(grain, out _);

    public void AddLocalPeer(ISocketPeer reference, ISocketPeer peer)
    {
        ArgumentNullException.ThrowIfNull(reference);
        _localPeers[reference.GetGrainId()] = peer;
    }

    /// <summary>
    /// The gateway a socket's reference names, when it runs in this process: frames for it skip
    /// Orleans' messaging (a request and a response, and one message at a time through an observer),
    /// which was most of an echo's cost beyond the engine. Null for another silo's gateway.
    /// </summary>
    internal ISocketPeer? LocalPeer(ISocketPeer? reference) => reference is null ? null : _localPeers.GetValueOrDefault(reference.GetGrainId());

    /// <summary>Whether this silo has seen that silo declared dead (an object restoring its sockets drops those it held).</summary>
    internal bool IsDead(string? silo) => silo is not null && _dead.ContainsKey(silo);

    private Task Start()
    {
        _ = Task.Run(WatchAsync);
        return Task.CompletedTask;
    }

    private Task Stop()
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    public void Dispose() => _stopping.Dispose();

    private async Task WatchAsync()
    {
        var dead = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stopping.Token))
            {
                foreach (var (address, member) in snapshot.Members)
                {
                    if (member.Status == SiloStatus.Dead && dead.Add(address))
                    {
                        var silo = address.ToParsableString();
                        _dead[silo] = true;
                        SiloDied?.Invoke(silo);
                        foreach (var grain in _watching.Keys)
                        {
                            grain.PeerSiloDied(silo);
                        }

                        // A hibernated object is not watched: woken, it restores its sockets and
                        // drops those whose clients the dead silo held. The registry does not keep
                        // where each one's clients are, so every one here wakes (a silo's death is rare).
                        foreach (var (worker, className, objectId) in active.AllHibernated())
                        {
                            active.Woke(worker, className, objectId);
                            _ = grains.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format(worker, className, objectId)).GetStatus();
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The silo is stopping.
        }
    }
}
