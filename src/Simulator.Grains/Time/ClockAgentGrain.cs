using Simulator.Contracts;
using Simulator.Grains.Placement;

namespace Simulator.Grains.Time;

/// <summary>One per silo, placed on it: reads and moves the silo's <see cref="SimulatedClock"/>.</summary>
[SiloTargetedPlacement]
public sealed class ClockAgentGrain(SimulatedClock clock) : Grain, IClockAgentGrain
{
    // How long a move waits for the work its timers started (a hung handler does not hang the clock).
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    public Task<ClockReading> Read() => Task.FromResult(new ClockReading(clock.UtcNow, clock.Virtual is not null));

    public Task<DateTimeOffset?> NextDue() => Task.FromResult(clock.Virtual?.NextDue());

    public async Task<ClockReading> MoveTo(DateTimeOffset instant)
    {
        var time = clock.Virtual ?? throw new InvalidOperationException("This silo's simulated time is real time: start it with --clock virtual.");
        var fired = time.MoveTo(instant);

        // A fired timer's work may start a moment later (its continuation queued on an object's
        // scheduler), hence the wait; when none fired and nothing runs, there is nothing to wait for.
        var running = fired == 0 && clock.Working == 0 ? 0 : await clock.WhenIdleAsync(IdleTimeout);
        return new ClockReading(clock.UtcNow, true, fired, running);
    }
}
