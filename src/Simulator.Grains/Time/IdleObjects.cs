namespace Simulator.Grains.Time;

/// <summary>
/// This silo's objects waiting out their idle grace, bucketed by the millisecond of simulated time
/// at which each is next looked at (on the virtual clock, objects called in one step share one).
/// One timer serves the silo, as Orleans' activation collector buckets activations by ticket: an
/// idle object costs a slot in a list, not a timer of its own (100,000 armed timers would add
/// about 300 bytes to every active object). An object called since it was bucketed is bucketed
/// again from here; only one whose grace may have passed gets a turn to look at itself.
/// </summary>
public sealed class IdleObjects(SimulatedClock clock)
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, List<DurableObjectGrain>> _due = [];
    private ITimer? _timer;
    private long _armedFor = long.MaxValue;

    /// <summary>Looks at the object again at <paramref name="at"/>, rounded up to the millisecond.</summary>
    internal void LookAt(DurableObjectGrain grain, DateTimeOffset at)
    {
        lock (_lock)
        {
            var ms = Add(grain, at);
            if (ms < _armedFor)
            {
                Arm(ms);
            }
        }
    }

    // Under the lock.
    private long Add(DurableObjectGrain grain, DateTimeOffset at)
    {
        var ms = (at.UtcTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        if (!_due.TryGetValue(ms, out var bucket))
        {
            _due[ms] = bucket = [];
        }

        bucket.Add(grain);
        return ms;
    }

    // Under the lock.
    private void Arm(long ms)
    {
        _armedFor = ms;
        var wait = new DateTimeOffset(ms * TimeSpan.TicksPerMillisecond, TimeSpan.Zero) - clock.UtcNow;
        _timer ??= clock.Virtual?.CreateUncountedTimer(static s => ((IdleObjects)s!).Fire(), this)
            ?? clock.Time.CreateTimer(static s => ((IdleObjects)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    private void Fire()
    {
        List<DurableObjectGrain> due = [];
        lock (_lock)
        {
            var now = clock.UtcNow;
            while (_due.Count > 0)
            {
                var (ms, bucket) = _due.First();
                if (ms * TimeSpan.TicksPerMillisecond > now.UtcTicks)
                {
                    break;
                }

                _due.Remove(ms);
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
