using Microsoft.Extensions.Logging;
using Simulator.Contracts;
using Simulator.Grains.Hosting;

namespace Simulator.Grains;

/// <summary>
/// Repairs missed pushes. Every <see cref="DurableObjectsSimulatorOptions.ResyncInterval"/>, and
/// whenever cluster membership changes, this silo asks the deployment grain of each Worker it holds
/// a copy of for its current sequence; a copy that is behind is replaced through this silo's agent,
/// which resets the active objects the missed deployment reassigns, exactly as the push would have.
/// </summary>
public sealed partial class DeploymentResync(
    DeploymentCache cache,
    IGrainFactory grains,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    DurableObjectsSimulatorOptions options,
    TimeProvider time,
    ILogger<DeploymentResync> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _membershipChanged = new(0);
    private Task _loops = Task.CompletedTask;

    public void Participate(ISiloLifecycle observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        observer.Subscribe(nameof(DeploymentResync), ServiceLifecycleStage.Active, Start, Stop);
    }

    /// <summary>One pass: catches up every copy that is behind. Returns how many it replaced.</summary>
    public async Task<int> ResyncOnceAsync()
    {
        var replaced = 0;
        var agent = grains.GetGrain<IDeploymentAgentGrain>(silo.SiloAddress.ToParsableString());
        foreach (var (workerName, held) in cache.Held())
        {
            try
            {
                var deployments = grains.GetGrain<IDeploymentGrain>(workerName);
                if (await deployments.GetSequence() <= held)
                {
                    continue;
                }

                var report = await agent.Apply(await deployments.GetSnapshot());
                replaced++;
                LogCaughtUp(logger, workerName, held, report.ObjectsReset);
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                // The next pass tries again; one Worker's failure does not hold up the others.
                LogFailed(logger, workerName, ex.Message);
            }
        }

        return replaced;
    }

    private Task Start(CancellationToken cancellation)
    {
        // The loops outlive the start-up step: they stop with the silo, not with its token.
        _loops = Task.WhenAll(Task.Run(ResyncLoopAsync, CancellationToken.None), Task.Run(WatchMembershipAsync, CancellationToken.None));
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken cancellation)
    {
        await _stopping.CancelAsync();
        try
        {
            await _loops.WaitAsync(cancellation);
        }
        catch (Exception)
        {
            // Stopping: whatever the loops were doing ends with the silo.
        }
    }

    private async Task ResyncLoopAsync()
    {
        // Alarm indexes whose silo went away (or that were never active since a restart) hold
        // timers no one runs: this silo's start and every change of membership wake them.
        var wakeAlarms = true;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                if (wakeAlarms)
                {
                    await WakeAlarmsAsync();
                }

                using var wake = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                var timer = Task.Delay(options.ResyncInterval, time, wake.Token);
                var changed = _membershipChanged.WaitAsync(wake.Token);
                await Task.WhenAny(timer, changed);
                wakeAlarms = changed.IsCompletedSuccessfully;
                await wake.CancelAsync();
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                await ResyncOnceAsync();
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task WakeAlarmsAsync()
    {
        try
        {
            await grains.GetGrain<IAlarmRegistryGrain>(0).WakeAll();
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            LogFailed(logger, "(alarm indexes)", ex.Message);
        }
    }

    private async Task WatchMembershipAsync()
    {
        try
        {
            var version = membership.CurrentSnapshot.Version;
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stopping.Token))
            {
                if (snapshot.Version > version)
                {
                    version = snapshot.Version;
                    _membershipChanged.Release();
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _membershipChanged.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-sync: {Worker} was at deployment {Held}, caught up; {Reset} active objects reset")]
    private static partial void LogCaughtUp(ILogger logger, string worker, int held, int reset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-sync of {Worker} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string worker, string reason);
}
