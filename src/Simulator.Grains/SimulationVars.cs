using System.Collections.Immutable;
using System.Globalization;
using Simulator.Core;

namespace Simulator.Grains;

/// <summary>Vars that make a version misbehave on purpose: SIM_ERROR_RATE (0 to 1) and SIM_LATENCY_MS.</summary>
public static class SimulationVars
{
    public const string ErrorRate = "SIM_ERROR_RATE";
    public const string LatencyMs = "SIM_LATENCY_MS";

    public static RuleError? Validate(ImmutableSortedDictionary<string, string> vars)
    {
        ArgumentNullException.ThrowIfNull(vars);
        if (vars.TryGetValue(ErrorRate, out var rate)
            && !(double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r is >= 0 and <= 1))
        {
            return new RuleError(RuleError.InvalidInput, $"{ErrorRate} is '{rate}': it is the share of requests that fail, a number from 0 to 1 (e.g. 0.3).");
        }

        if (vars.TryGetValue(LatencyMs, out var latency)
            && !(int.TryParse(latency, NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l is >= 0 and <= 60_000))
        {
            return new RuleError(RuleError.InvalidInput, $"{LatencyMs} is '{latency}': it is a delay in whole milliseconds from 0 to 60000.");
        }

        return null;
    }

    /// <summary>
    /// What the vars make a version's code do, wherever it runs (a Worker's fetch or a Durable
    /// Object's): wait SIM_LATENCY_MS on the silo's clock, then fail with odds SIM_ERROR_RATE.
    /// <c>where</c> names where the code runs, for the error: "its Worker" or "Durable Object class Counter".
    /// </summary>
    public static async ValueTask MisbehaveAsync(WorkerVersion version, VersionRandom random, TimeProvider time, string where)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(random);
        var latency = LatencyOf(version.Vars);
        if (latency > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(latency), time);
        }

        var errorRate = ErrorRateOf(version.Vars);
        if (errorRate > 0 && random.Draw(r => r.NextDouble()) < errorRate)
        {
            throw new SimulatedFailureException($"Simulated failure of version {version.Id} in {where} ({ErrorRate}={errorRate.ToString(CultureInfo.InvariantCulture)}).");
        }
    }

    public static double ErrorRateOf(ImmutableSortedDictionary<string, string> vars) =>
        vars.TryGetValue(ErrorRate, out var rate) ? double.Parse(rate, CultureInfo.InvariantCulture) : 0;

    public static int LatencyOf(ImmutableSortedDictionary<string, string> vars) =>
        vars.TryGetValue(LatencyMs, out var latency) ? int.Parse(latency, CultureInfo.InvariantCulture) : 0;
}
