using System.Globalization;
using System.Text.RegularExpressions;

namespace Simulator.Core;

/// <summary>
/// How a deployment asks its active Durable Objects to take the new code (the platform's
/// <c>code_update_strategy</c>): <c>immediate</c> resets them at once; <c>deferred</c> lets each keep
/// its code until it hibernates or <see cref="MaxDelaySeconds"/> (300 s when not given, at most
/// 86,400, millisecond precision) have passed since the deployment that changed its version.
/// </summary>
public sealed partial record CodeUpdateStrategy(string Mode, double? MaxDelaySeconds)
{
    public const string Immediate = "immediate";
    public const string Deferred = "deferred";

    /// <summary>The platform's limit on <c>max_delay</c>: a day.</summary>
    public const double MaxDelayLimitSeconds = 86_400;

    /// <summary>The platform's default delay.</summary>
    public const double DefaultMaxDelaySeconds = 300;

    public static readonly CodeUpdateStrategy ImmediateUpdate = new(Immediate, null);

    /// <summary>The platform's default when a deployment gives none: deferred, 300 s.</summary>
    public static readonly CodeUpdateStrategy PlatformDefault = new(Deferred, DefaultMaxDelaySeconds);

    /// <summary>How long an active object may keep its old code: zero for <c>immediate</c> and for <c>deferred</c> 0.</summary>
    public TimeSpan Delay => Mode == Immediate ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Round((MaxDelaySeconds ?? DefaultMaxDelaySeconds) * 1000));

    /// <summary>Why this strategy is not one the platform accepts; null when it is.</summary>
    public RuleError? Validate()
    {
        if (Mode is not (Immediate or Deferred))
        {
            return new RuleError(RuleError.InvalidInput, $"code_update_strategy mode '{Mode}' is not one of '{Immediate}' or '{Deferred}'.");
        }

        if (Mode == Immediate && MaxDelaySeconds is not null)
        {
            return new RuleError(RuleError.InvalidInput, $"code_update_strategy 'immediate' takes no max_delay (got {Seconds(MaxDelaySeconds.Value)}): drop it, or use 'deferred' with the delay.");
        }

        if (MaxDelaySeconds is { } delay && (double.IsNaN(delay) || delay < 0 || delay > MaxDelayLimitSeconds))
        {
            return new RuleError(RuleError.InvalidInput, $"code_update_strategy max_delay is {Seconds(delay)}: it is between 0 and {MaxDelayLimitSeconds:0} seconds (24 hours).");
        }

        if (MaxDelaySeconds is { } precise && Math.Abs(Math.Round(precise * 1000) - (precise * 1000)) > 1e-6)
        {
            return new RuleError(RuleError.InvalidInput, $"code_update_strategy max_delay is {Seconds(precise)}: give it with millisecond precision at most (e.g. 1.5 or 0.25).");
        }

        return null;
    }

    /// <summary>
    /// Reads the command line's spelling: <c>immediate</c>, <c>deferred</c> (300 s), <c>deferred=30s</c>,
    /// or wrangler's <c>deferred 30s</c>. A duration is a number of seconds or a number with
    /// <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c>; <c>deferred</c> with 0 is <c>immediate</c>.
    /// </summary>
    public static CodeUpdateStrategy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = Spelling().Match(text.Trim());
        if (!match.Success)
        {
            throw new RuleViolationException(new RuleError(RuleError.InvalidInput, $"'{text}' is not a code update strategy: use immediate, deferred (300 s), or deferred=<duration> such as deferred=30s, deferred=5m or deferred=1.5s."));
        }

        if (match.Groups["mode"].Value == Immediate)
        {
            return match.Groups["amount"].Success
                ? throw new RuleViolationException(new RuleError(RuleError.InvalidInput, $"'{text}': immediate takes no delay. Use immediate, or deferred={match.Groups["amount"].Value}{match.Groups["unit"].Value}."))
                : ImmediateUpdate;
        }

        if (!match.Groups["amount"].Success)
        {
            return PlatformDefault;
        }

        var amount = double.Parse(match.Groups["amount"].Value, CultureInfo.InvariantCulture);
        var seconds = match.Groups["unit"].Value switch
        {
            "ms" => amount / 1000,
            "m" => amount * 60,
            "h" => amount * 3600,
            "d" => amount * 86_400,
            _ => amount,
        };
        var strategy = seconds == 0 ? ImmediateUpdate : new CodeUpdateStrategy(Deferred, seconds);
        return strategy.Validate() is { } error ? throw new RuleViolationException(error) : strategy;
    }

    /// <summary>
    /// When an active object that a deployment with this strategy assigns another version takes it:
    /// at the first of the deadline it already has (an earlier deployment's) and now plus the delay.
    /// At or before <paramref name="now"/>: at once.
    /// </summary>
    public DateTimeOffset SwitchBy(DateTimeOffset now, DateTimeOffset? pending)
    {
        var by = now + Delay;
        return pending is { } earlier && earlier < by ? earlier : by;
    }

    /// <summary>
    /// What a deployment with this strategy does to the active objects it moves to another version,
    /// given each one's pending deadline (null: none): how many reset at once, how many are deferred,
    /// and by when the last of those switches.
    /// </summary>
    public CodeUpdateForecast Forecast(IEnumerable<DateTimeOffset?> pendingOfChangingActive, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(pendingOfChangingActive);
        long resetNow = 0, deferred = 0;
        DateTimeOffset? until = null;
        foreach (var pending in pendingOfChangingActive)
        {
            var by = SwitchBy(now, pending);
            if (by <= now)
            {
                resetNow++;
            }
            else
            {
                deferred++;
                until = until is { } last && last >= by ? last : by;
            }
        }

        return new CodeUpdateForecast(resetNow, deferred, until);
    }

    /// <summary>The strategy as a sentence: "immediate", or "deferred, max delay 300 s".</summary>
    public string Describe() => Mode == Immediate ? Immediate : $"{Deferred}, max delay {Seconds(MaxDelaySeconds ?? DefaultMaxDelaySeconds)}";

    private static string Seconds(double seconds) => seconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    [GeneratedRegex(@"^(?<mode>immediate|deferred)(?:[= ]\s*(?<amount>\d+(?:\.\d+)?)\s*(?<unit>ms|s|m|h|d)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Spelling();
}
