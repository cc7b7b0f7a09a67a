namespace Simulator.Core;

/// <summary>
/// How a deployment asks Durable Objects to take the new code (the platform's
/// <c>code_update_strategy</c>): <c>immediate</c>, or <c>deferred</c> within <see cref="MaxDelaySeconds"/>.
/// Stored and shown; dosim applies every deployment immediately for now.
/// </summary>
public sealed record CodeUpdateStrategy(string Mode, int? MaxDelaySeconds)
{
    public const string Immediate = "immediate";
    public const string Deferred = "deferred";

    /// <summary>Why this strategy is not one the platform accepts; null when it is.</summary>
    public RuleError? Validate()
    {
        if (Mode is not (Immediate or Deferred))
        {
            return new RuleError(RuleError.InvalidInput, $"code_update_strategy mode '{Mode}' is not one of '{Immediate}' or '{Deferred}'.");
        }

        if (MaxDelaySeconds is < 0)
        {
            return new RuleError(RuleError.InvalidInput, $"code_update_strategy max_delay is {MaxDelaySeconds}: give a number of seconds, 0 or more.");
        }

        return null;
    }

    /// <summary>What dosim does with it today, in a sentence for the answer's messages.</summary>
    public string Notice() => Mode == Immediate
        ? "code_update_strategy 'immediate' is what dosim runs."
        : $"code_update_strategy '{Mode}' is stored and shown, but dosim does not simulate deferred updates yet: Durable Objects take the new code immediately.";
}
