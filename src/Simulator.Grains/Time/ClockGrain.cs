using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Time;

/// <summary>
/// The cluster's simulated clock. An advance moves every silo to the earliest instant any of them
/// has a timer or alarm due, lets what fires there finish, and repeats until it reaches the target:
/// an alarm that fails and is retried 2 s later fires again within the same advance.
/// </summary>
public sealed class ClockGrain(IClusterMembershipService membership) : Grain, IClockGrain
{
    // An advance that keeps finding due timers (an interval of 1 ms over a day) stops somewhere.
    private const int MaxSteps = 1_000_000;

    public async Task<ClockReading> Read()
    {
        var readings = await Task.WhenAll(Agents().Select(a => a.Read()));
        return new ClockReading(readings.Max(r => r.Now), readings.All(r => r.IsVirtual));
    }

    public async Task<ClockReading> Advance(TimeSpan by)
    {
        if (by <= TimeSpan.Zero)
        {
            throw new RuleRefusedException(new RuleError(RuleError.InvalidInput, $"The clock moves forward only: advance it by a positive duration (got {by})."));
        }

        var agents = Agents();
        var start = await Task.WhenAll(agents.Select(a => a.Read()));
        if (!start.All(r => r.IsVirtual))
        {
            throw new RuleRefusedException(new RuleError(RuleError.InvalidInput, "The cluster's simulated time is real time: start every silo with --clock virtual to drive it with `dosim clock advance`."));
        }

        var target = start.Max(r => r.Now) + by;
        var (fired, running) = (0, 0);
        for (var step = 0; step < MaxSteps; step++)
        {
            var due = (await Task.WhenAll(agents.Select(a => a.NextDue()))).Where(d => d is not null).Select(d => d!.Value).ToList();
            var next = due.Count == 0 || due.Min() > target ? target : due.Min();
            var moved = await Task.WhenAll(agents.Select(a => a.MoveTo(next)));
            fired += moved.Sum(m => m.TimersFired);
            running = moved.Sum(m => m.StillRunning);
            if (next == target)
            {
                break;
            }
        }

        return new ClockReading(target, true, fired, running);
    }

    // The active silos as this silo's membership sees them: an advance asks no other grain for them
    // (a replay advances the clock hundreds of times).
    private IClockAgentGrain[] Agents() =>
        [.. membership.CurrentSnapshot.Members.Where(m => m.Value.Status == SiloStatus.Active).Select(m => GrainFactory.GetGrain<IClockAgentGrain>(m.Key.ToParsableString()))];
}
