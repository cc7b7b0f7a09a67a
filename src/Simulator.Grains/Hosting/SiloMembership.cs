using System.Collections.Concurrent;
using Simulator.Contracts;

namespace Simulator.Grains.Hosting;

/// <summary>
/// This silo's view of other silos leaving the cluster, for WebSockets: a gateway here closes the
/// sockets whose objects ran on a silo declared dead, and objects here hear a drop (1006) on the
/// sockets whose clients were held by a dead silo's gateway.
/// </summary>
public sealed class SiloMembership(IClusterMembershipService membership, ILocalSiloDetails local) : ISiloMembership, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly ConcurrentDictionary<DurableObjectGrain, bool> _watching = new();
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
                        SiloDied?.Invoke(silo);
                        foreach (var grain in _watching.Keys)
                        {
                            grain.PeerSiloDied(silo);
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
