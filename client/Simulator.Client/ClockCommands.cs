using System.CommandLine;
using System.Globalization;
using Simulator.Contracts;

namespace Simulator.Client;

/// <summary><c>dosim clock</c>: read the cluster's simulated time, and move a virtual one forward.</summary>
public static class ClockCommands
{
    public static Command Clock()
    {
        var duration = new Argument<string>("duration") { Description = "How far to move: a number with ms, s, m, h or d (250ms, 9s, 5m, 1h)." };
        var advance = new Command("advance", "Move the cluster's virtual clock forward; returns once the timers and alarms due by then have fired and their calls have finished.") { duration, CommonOptions.Json };
        advance.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
        {
            var by = ParseDuration(parse.GetValue(duration)!);
            Print(parse, await cluster.Grains.GetGrain<IClockGrain>(0).Advance(by), $"Advanced {parse.GetValue(duration)}");
        }));

        var command = new Command("clock", "Show the cluster's simulated time (real, or virtual with silos started with --clock virtual).") { advance, CommonOptions.Json };
        command.SetAction((parse, ct) => CommonOptions.Run(parse, ct, async cluster =>
            Print(parse, await cluster.Grains.GetGrain<IClockGrain>(0).Read(), null)));
        return command;
    }

    /// <summary>"250ms", "9s", "5m", "1h", "2d" (a decimal number is allowed: "1.5s").</summary>
    public static TimeSpan ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var units = new (string Suffix, double Ms)[] { ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000) };
        foreach (var (suffix, ms) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && !(suffix == "s" && text.EndsWith("ms", StringComparison.Ordinal))
                && double.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
                && amount > 0)
            {
                return TimeSpan.FromMilliseconds(Math.Round(amount * ms));
            }
        }

        throw new CliException(ExitCodes.Usage, $"'{text}' is not a duration: use a positive number with ms, s, m, h or d, e.g. 250ms, 9s, 5m or 1h.");
    }

    private static void Print(ParseResult parse, ClockReading reading, string? what)
    {
        if (parse.GetValue(CommonOptions.Json))
        {
            Output.WriteJson(new { now = reading.Now, isVirtual = reading.IsVirtual, timersFired = reading.TimersFired, stillRunning = reading.StillRunning });
            return;
        }

        if (what is not null)
        {
            Console.WriteLine($"{what}: {reading.TimersFired} timers and alarms fired{(reading.StillRunning > 0 ? $", {reading.StillRunning} still running" : string.Empty)}.");
        }

        Console.WriteLine($"Simulated time: {reading.Now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)} ({(reading.IsVirtual ? "virtual: it moves with `dosim clock advance`" : "real")})");
    }
}
