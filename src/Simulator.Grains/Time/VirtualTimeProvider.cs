namespace Simulator.Grains.Time;

/// <summary>
/// Simulated time that moves only when told (a silo started with <c>--clock virtual</c>): the time
/// a <see cref="TimeProvider"/> reports, and timers that fire when it reaches them. Unlike the
/// testing package's fake, it says when its next timer is due, so the cluster can move from one due
/// instant to the next and let each one's work finish before the next fires.
/// </summary>
public sealed class VirtualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<VirtualTimer> _timers = [];
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    // Stopwatch-based waits (Task.Delay's elapsed checks) follow the virtual time too.
    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new VirtualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>When the next timer is due; null when none is.</summary>
    public DateTimeOffset? NextDue()
    {
        lock (_lock)
        {
            DateTimeOffset? next = null;
            foreach (var timer in _timers)
            {
                if (next is null || timer.Due < next)
                {
                    next = timer.Due;
                }
            }

            return next;
        }
    }

    /// <summary>
    /// Moves the time to <paramref name="to"/> (never back) and fires, in order, every timer due by
    /// then; a periodic timer fires once per period it passed. Returns how many fired.
    /// </summary>
    public int MoveTo(DateTimeOffset to)
    {
        var fired = 0;
        while (true)
        {
            VirtualTimer? due = null;
            lock (_lock)
            {
                foreach (var timer in _timers)
                {
                    if (timer.Due <= to && (due is null || timer.Due < due.Due))
                    {
                        due = timer;
                    }
                }

                if (due is null)
                {
                    if (to > _now)
                    {
                        _now = to;
                    }

                    return fired;
                }

                if (due.Due > _now)
                {
                    _now = due.Due;
                }

                due.Fired();
            }

            fired++;
            due.Invoke();
        }
    }

    private void Arm(VirtualTimer timer, bool armed)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
            if (armed)
            {
                _timers.Add(timer);
            }
        }
    }

    private sealed class VirtualTimer(VirtualTimeProvider clock, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period;

        public DateTimeOffset Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                clock.Arm(this, armed: false);
                return true;
            }

            Due = clock.GetUtcNow() + (dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime);
            clock.Arm(this, armed: true);
            return true;
        }

        // Called under the clock's lock: a periodic timer is due again a period later, another is done.
        public void Fired()
        {
            if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
            {
                Due += _period;
            }
            else
            {
                clock._timers.Remove(this);
            }
        }

        public void Invoke() => callback(state);

        public void Dispose() => clock.Arm(this, armed: false);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
