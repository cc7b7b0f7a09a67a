using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
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

    // Read once per version, not per request: versions are immutable.
    private static readonly ConditionalWeakTable<WorkerVersion, Misbehaviour> ByVersion = [];

    /// <summary>What the version's SIM_* vars make its code do (nothing, for almost every version).</summary>
    public static Misbehaviour Of(WorkerVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return ByVersion.GetValue(version, static v => new Misbehaviour(v.Id, LatencyOf(v.Vars), ErrorRateOf(v.Vars)));
    }

    public static double ErrorRateOf(ImmutableSortedDictionary<string, string> vars) =>
        vars.TryGetValue(ErrorRate, out var rate) ? double.Parse(rate, CultureInfo.InvariantCulture) : 0;

    public static int LatencyOf(ImmutableSortedDictionary<string, string> vars) =>
        vars.TryGetValue(LatencyMs, out var latency) ? int.Parse(latency, CultureInfo.InvariantCulture) : 0;
}

/// <summary>
/// What a version's SIM_* vars make its code do, wherever it runs (a Worker's fetch or a Durable
/// Object's): wait SIM_LATENCY_MS on the silo's clock, then fail with odds SIM_ERROR_RATE.
/// </summary>
public sealed class Misbehaviour(Guid versionId, int latencyMs, double errorRate)
{
    public bool None => latencyMs == 0 && errorRate == 0;

    /// <summary><c>where</c> names where the code runs, for the error: "its Worker" or "Durable Object class Counter".</summary>
    public async ValueTask ApplyAsync(VersionRandom random, TimeProvider time, string where)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (latencyMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(latencyMs), time);
        }

        if (errorRate > 0 && random.Draw(r => r.NextDouble()) < errorRate)
        {
            throw new SimulatedFailureException($"Simulated failure of version {versionId} in {where} ({SimulationVars.ErrorRate}={errorRate.ToString(CultureInfo.InvariantCulture)}).");
        }
    }
}
