namespace Simulator.Core;

/// <summary>
/// A rollout replayed on the virtual clock: version 1 at second 0, then <see cref="Deploys"/> more
/// versions, one every <see cref="Every"/>; meanwhile each of <see cref="Objects"/> objects gets a
/// request every <see cref="RequestEvery"/>, all at the same instants (so the clock moves once per
/// round). After the last deploy it runs one more <see cref="Every"/>, and at least until the
/// deploys' <see cref="UpdateDelay"/> (their strategy's <c>max_delay</c>) has passed and one more
/// round of requests has seen the objects on their new version.
/// </summary>
public sealed record ReplayPlan(int Objects, int Deploys, TimeSpan Every, TimeSpan RequestEvery, TimeSpan UpdateDelay = default)
{
    public const int MaxObjects = 100_000;
    public const int MaxDeploys = 1_000;

    /// <summary>The replay's whole length of virtual time: its seconds are 0 to <see cref="Length"/> (excluded).</summary>
    public TimeSpan Length => (Every * Deploys) + (UpdateDelay > TimeSpan.Zero && UpdateDelay + RequestEvery > Every ? UpdateDelay + RequestEvery : Every);

    private long EverySeconds => (long)Every.TotalSeconds;

    private long Period => (long)RequestEvery.TotalSeconds;

    /// <summary>Why this plan cannot run; null when it can.</summary>
    public RuleError? Validate()
    {
        if (Objects is < 1 or > MaxObjects)
        {
            return new RuleError(RuleError.InvalidInput, $"The replay's objects are {Objects}: give 1 to {MaxObjects:N0}.");
        }

        if (Deploys is < 1 or > MaxDeploys)
        {
            return new RuleError(RuleError.InvalidInput, $"The replay's deploys are {Deploys}: give 1 to {MaxDeploys:N0}.");
        }

        foreach (var (name, span) in new[] { ("time between deploys", Every), ("time between an object's requests", RequestEvery) })
        {
            if (span < TimeSpan.FromSeconds(1) || span.Ticks % TimeSpan.TicksPerSecond != 0)
            {
                return new RuleError(RuleError.InvalidInput, $"The {name} is {span}: give whole seconds, at least 1 s (e.g. 10m or 5s).");
            }
        }

        return Length > TimeSpan.FromDays(31)
            ? new RuleError(RuleError.InvalidInput, $"The replay would last {Length.TotalDays:0.#} days of virtual time: keep deploys × interval under 31 days.")
            : null;
    }

    /// <summary>The deploy made at this second (1 for the first after version 1), or 0 when none is.</summary>
    public int DeployAt(long second) =>
        second > 0 && second % EverySeconds == 0 && second / EverySeconds <= Deploys ? (int)(second / EverySeconds) : 0;

    /// <summary>Whether every object gets a request at this second: at 0 and every <see cref="RequestEvery"/> after.</summary>
    public bool RequestsAt(long second) => second % Period == 0;

}
