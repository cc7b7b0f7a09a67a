namespace Simulator.Grains.Time;

/// <summary>
/// The silo's simulated time: what JavaScript's <c>Date</c>, timers, alarms, <c>SIM_LATENCY_MS</c>
/// and reset timestamps read, apart from the infrastructure's clock (index writes, re-sync,
/// retries), as Orleans keeps its own clocks apart. Real time by default; with a
/// <see cref="VirtualTimeProvider"/> (<c>--clock virtual</c>) it moves only when the cluster's clock
/// is advanced. It also counts the work a fired timer started, so an advance can return once that
/// work is done.
/// </summary>
public sealed class SimulatedClock
{
    private int _work;

    public SimulatedClock(VirtualTimeProvider? virtualTime) => (Virtual, Time) = (virtualTime, (TimeProvider?)virtualTime ?? TimeProvider.System);

    public TimeProvider Time { get; }

    /// <summary>The virtual time; null when simulated time is real time.</summary>
    public VirtualTimeProvider? Virtual { get; }

    public DateTimeOffset UtcNow => Time.GetUtcNow();

    /// <summary>Work a fired timer started (a timer's JavaScript, an alarm's call) that an advance waits for.</summary>
    public int Working => Volatile.Read(ref _work);

    public void BeginWork() => Interlocked.Increment(ref _work);

    public void EndWork() => Interlocked.Decrement(ref _work);

    /// <summary>
    /// Waits until no work a timer started is running (as seen twice in a row, a millisecond
    /// apart), or <paramref name="timeout"/> passes; returns how much was still running.
    /// </summary>
    public async Task<int> WhenIdleAsync(TimeSpan timeout)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        var quiet = 0;
        while (quiet < 2)
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                return Working;
            }

            quiet = Working == 0 ? quiet + 1 : 0;
            await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System);
        }

        return 0;
    }
}
