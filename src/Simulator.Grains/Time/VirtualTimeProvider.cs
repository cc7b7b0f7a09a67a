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

    // Ordered by due time (then creation), so the next one and an arm or a cancel cost O(log n):
    // a deferred deploy over 100,000 objects arms 200,000 timers at once.
    private readonly SortedSet<VirtualTimer> _timers = new(Comparer<VirtualTimer>.Create(static (x, y) =>
        x.Due != y.Due ? x.Due.CompareTo(y.Due) : x.Id.CompareTo(y.Id)));

    private DateTimeOffset _now = start;
    private long _created;

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

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        Create(callback, state, dueTime, period, counted: true);

    /// <summary>A timer of the simulator's own bookkeeping (the idle sweep): it fires as any other, but an advance does not count it among the timers it reports.</summary>
    public ITimer CreateUncountedTimer(TimerCallback callback, object? state) =>
        Create(callback, state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, counted: false);

    private VirtualTimer Create(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period, bool counted)
    {
        var timer = new VirtualTimer(this, Interlocked.Increment(ref _created), callback, state) { Counted = counted };
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>When the next timer is due; null when none is.</summary>
    public DateTimeOffset? NextDue()
    {
        lock (_lock)
        {
            return _timers.Count == 0 ? null : _timers.Min!.Due;
        }
    }

    /// <summary>
    /// Moves the time to <paramref name="to"/> (never back) and fires, in order, every timer due by
    /// then; a periodic timer fires once per period it passed. Returns how many fired (the simulator's own bookkeeping not counted).
    /// </summary>
    public int MoveTo(DateTimeOffset to)
    {
        var fired = 0;
        while (true)
        {
            VirtualTimer due;
            lock (_lock)
            {
                if (_timers.Count == 0 || _timers.Min!.Due > to)
                {
                    if (to > _now)
                    {
                        _now = to;
                    }

                    return fired;
                }

                due = _timers.Min;
                if (due.Due > _now)
                {
                    _now = due.Due;
                }

                // A periodic timer is due again a period later; another is done.
                _timers.Remove(due);
                if (due.Period > TimeSpan.Zero && due.Period != Timeout.InfiniteTimeSpan)
                {
                    due.Due += due.Period;
                    _timers.Add(due);
                }
                else
                {
                    due.Armed = false;
                }
            }

            fired += due.Counted ? 1 : 0;
            due.Invoke();
        }
    }

    /// <summary>
    /// Arms one of this clock's timers for an instant rather than a wait: a wait is added to the
    /// time as it is when the timer is armed, which another thread's move may change meanwhile.
    /// An instant already passed fires at the next move.
    /// </summary>
    public void ArmAt(ITimer timer, DateTimeOffset due)
    {
        var virtualTimer = timer as VirtualTimer ?? throw new ArgumentException("Not a timer of this clock.", nameof(timer));
        lock (_lock)
        {
            if (virtualTimer.Armed)
            {
                _timers.Remove(virtualTimer);
            }

            virtualTimer.Period = TimeSpan.Zero;
            virtualTimer.Due = due < _now ? _now : due;
            virtualTimer.Armed = _timers.Add(virtualTimer);
        }
    }

    // Arms the timer for the instant (null: disarms it); its place in the order changes under the lock.
    private void Arm(VirtualTimer timer, TimeSpan? dueIn, TimeSpan period)
    {
        lock (_lock)
        {
            if (timer.Armed)
            {
                _timers.Remove(timer);
                timer.Armed = false;
            }

            timer.Period = period;
            if (dueIn is { } wait)
            {
                timer.Due = _now + (wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
                timer.Armed = _timers.Add(timer);
            }
        }
    }

    private sealed class VirtualTimer(VirtualTimeProvider clock, long id, TimerCallback callback, object? state) : ITimer
    {
        public long Id { get; } = id;

        // Read and written under the clock's lock.
        public DateTimeOffset Due { get; set; }

        public TimeSpan Period { get; set; }

        public bool Armed { get; set; }

        public bool Counted { get; init; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock.Arm(this, dueTime == Timeout.InfiniteTimeSpan ? null : dueTime, period);
            return true;
        }

        public void Invoke() => callback(state);

        public void Dispose() => clock.Arm(this, null, TimeSpan.Zero);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
