using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Simulator.Contracts;
using Simulator.Grains.Time;

namespace Simulator.Grains;

[GenerateSerializer, Alias("dosim.AlarmIndexState")]
public sealed class AlarmIndexState
{
    /// <summary>Object grain key → when its alarm is due (Unix ms, simulated clock).</summary>
    [Id(0)] public Dictionary<string, long> Due { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A partition of a Worker's alarm index: alarms live outside their objects, so an alarm wakes an
/// object that is not active, on any silo, and survives the loss of the silo that set it. Orleans
/// reminders were not used: their period is a minute at least, and an alarm is precise to the
/// millisecond on a clock that can be virtual. One timer on the simulated clock waits for the
/// earliest alarm; when it fires, every due object runs its alarm and says when it is due next (a
/// retry, or a new alarm). The index stays active while it holds alarms; a starting silo wakes it
/// (<see cref="IAlarmRegistryGrain"/>).
/// </summary>
[Reentrant]
public sealed partial class AlarmIndexGrain(DurableObjectServices silo, SimulatedClock clock, ILogger<AlarmIndexGrain> logger) : Grain, IAlarmIndexGrain
{
    private const string StateName = "alarms";

    // An object that cannot be reached (its silo just died) is asked again this much later.
    private const long UnreachableRetryMs = 2_000;

    // Alarms a partition runs at once: enough to keep a silo's cores busy, few enough that a
    // hundred thousand due together do not all wait in the queues at the same time.
    private const int MaxConcurrentAlarms = 128;

    private readonly GrainState<AlarmIndexState> _state = new(new AlarmIndexState());
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);
    private ITimer? _timer;
    private long? _armedFor;
    private Task _writing = Task.CompletedTask;
    private bool _dirty;

    private Dictionary<string, long> Due => _state.State!.Due;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await silo.Storage.ReadStateAsync(StateName, GrainContext.GrainId, _state);
        _state.State ??= new AlarmIndexState();
        Arm();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public Task Schedule(string objectKey, long? dueMs)
    {
        var changed = dueMs is { } due ? !(Due.TryGetValue(objectKey, out var old) && old == due) : Due.Remove(objectKey);
        if (dueMs is { } at)
        {
            Due[objectKey] = at;
        }

        if (!changed)
        {
            return _writing;
        }

        Arm();
        return Persist();
    }

    public Task<int> Wake() => Task.FromResult(Due.Count);

    // One timer, for the earliest alarm not already running; the index stays active while it has one.
    private void Arm()
    {
        long? earliest = null;
        foreach (var (key, due) in Due)
        {
            if (!_running.Contains(key) && (earliest is null || due < earliest))
            {
                earliest = due;
            }
        }

        if (earliest == _armedFor)
        {
            return;
        }

        _timer?.Dispose();
        (_timer, _armedFor) = (null, earliest);
        if (earliest is { } at)
        {
            DelayDeactivation(TimeSpan.FromDays(3650));
            var wait = TimeSpan.FromMilliseconds(Math.Max(0, at - clock.UtcNow.ToUnixTimeMilliseconds()));
            _timer = clock.Time.CreateTimer(static grain => ((AlarmIndexGrain)grain!).OnTimer(), this, wait, Timeout.InfiniteTimeSpan);
        }
    }

    // On the timer's thread: the work is counted from now, and the firing runs on this grain's scheduler.
    private void OnTimer()
    {
        clock.BeginWork();
        var fire = new Task<Task>(FireDueAsync);
        GrainContext.Scheduler.QueueTask(fire);
    }

    private async Task FireDueAsync()
    {
        try
        {
            _armedFor = null;
            var now = clock.UtcNow.ToUnixTimeMilliseconds();
            var due = Due.Where(e => e.Value <= now && _running.Add(e.Key)).ToList();
            var next = new long?[due.Count];
            await Parallel.ForEachAsync(
                Enumerable.Range(0, due.Count),
                new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentAlarms, TaskScheduler = TaskScheduler.Current },
                async (i, _) => next[i] = await RunAsync(due[i].Key, due[i].Value, now));
            for (var i = 0; i < due.Count; i++)
            {
                _running.Remove(due[i].Key);

                // Unless a newer alarm was set meanwhile, the object's answer is its alarm now.
                if (Due.TryGetValue(due[i].Key, out var current) && current == due[i].Value)
                {
                    if (next[i] is { } at)
                    {
                        Due[due[i].Key] = at;
                    }
                    else
                    {
                        Due.Remove(due[i].Key);
                    }
                }
            }

            if (due.Count > 0)
            {
                await Persist();
            }
        }
        finally
        {
            Arm();
            clock.EndWork();
        }
    }

    private async Task<long?> RunAsync(string objectKey, long dueMs, long now)
    {
        try
        {
            return await GrainFactory.GetGrain<IDurableObjectGrain>(objectKey).RunAlarm(dueMs);
        }
        catch (Exception ex)
        {
            LogUnreachable(logger, objectKey, ex.Message);
            return now + UnreachableRetryMs;
        }
    }

    // Writes are coalesced: while one is stored, later changes wait and go together in the next.
    private Task Persist()
    {
        _dirty = true;
        if (_writing.IsCompleted)
        {
            _writing = WriteAsync();
        }

        return _writing;
    }

    private async Task WriteAsync()
    {
        while (_dirty)
        {
            _dirty = false;
            await silo.Storage.WriteStateAsync(StateName, GrainContext.GrainId, _state);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The alarm of Durable Object {Key} could not run ({Reason}); it is tried again in 2 s")]
    private static partial void LogUnreachable(ILogger logger, string key, string reason);
}
