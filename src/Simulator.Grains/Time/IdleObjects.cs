namespace Simulator.Grains.Time;

/// <summary>
/// This silo's objects waiting out their idle grace, bucketed by the instant of simulated time at
/// which each is next looked at: on the virtual clock the exact instant (objects called in one step
/// share it, so an advance stops once for them all, and at an instant of the run's own, not a
/// rounded one beside it), on the real clock the millisecond.
/// One timer serves the silo, as Orleans' activation collector buckets activations by ticket: an
/// idle object costs a slot in a list, not a timer of its own (100,000 armed timers would add
/// about 300 bytes to every active object). An object called since it was bucketed is bucketed
/// again from here; only one whose grace may have passed gets a turn to look at itself.
/// </summary>
public sealed class IdleObjects(SimulatedClock clock) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, List<DurableObjectGrain>> _due = []; // by UtcTicks
    private ITimer? _timer;
    private long _armedFor = long.MaxValue;
    private bool _disposed;

    /// <summary>Looks at the object again at <paramref name="at"/> (on the real clock, rounded up to the millisecond).</summary>
    internal void LookAt(DurableObjectGrain grain, DateTimeOffset at)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var due = Add(grain, at);
            if (due < _armedFor)
            {
                Arm(due);
            }
        }
    }

    // Under the lock.
    private long Add(DurableObjectGrain grain, DateTimeOffset at)
    {
        var due = clock.Virtual is null ? (at.UtcTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond : at.UtcTicks;
        if (!_due.TryGetValue(due, out var bucket))
        {
            _due[due] = bucket = [];
        }

        bucket.Add(grain);
        return due;
    }

    /// <summary>The silo stops: its timer with it, and no object is looked at again.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _due.Clear();
            _timer?.Dispose();
        }
    }

    // Under the lock. On the virtual clock the timer is armed for the instant itself: a wait would
    // be added to the time as another thread's move leaves it.
    private void Arm(long due)
    {
        _armedFor = due;
        var at = new DateTimeOffset(due, TimeSpan.Zero);
        if (clock.Virtual is { } virtualTime)
        {
            _timer ??= virtualTime.CreateUncountedTimer(static s => ((IdleObjects)s!).Fire(), this);
            virtualTime.ArmAt(_timer, at);
            return;
        }

        if (_timer is null)
        {
            // Made on some grain's turn: its execution context (that call's activity and request
            // context) must not flow into every later look.
            using (ExecutionContext.SuppressFlow())
            {
                _timer = clock.Time.CreateTimer(static s => ((IdleObjects)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        var wait = at - clock.UtcNow;
        _timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    private void Fire()
    {
        List<DurableObjectGrain> due = [];
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = clock.UtcNow;
            while (_due.Count > 0)
            {
                var (at, bucket) = _due.First();
                if (at > now.UtcTicks)
                {
                    break;
                }

                _due.Remove(at);
                foreach (var grain in bucket)
                {
                    // Called since it was bucketed: bucketed again, without a turn of its own.
                    if (grain.GraceEndsAfter(now) is { } later)
                    {
                        Add(grain, later);
                    }
                    else
                    {
                        due.Add(grain);
                    }
                }
            }

            _armedFor = long.MaxValue;
            if (_due.Count > 0)
            {
                Arm(_due.First().Key);
            }
        }

        foreach (var grain in due)
        {
            grain.IdleDue();
        }
    }
}
