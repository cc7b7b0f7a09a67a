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
        var running = await clock.WhenIdleAsync(IdleTimeout);
        return new ClockReading(clock.UtcNow, true, fired, running);
    }
}
