namespace Simulator.Core;

/// <summary>
/// What a deployment's code update strategy would do to the active objects it moves: reset them at
/// once, or defer them, the last until <see cref="DeferredUntil"/>.
/// </summary>
public sealed record CodeUpdateForecast(long ResetNow, long Deferred, DateTimeOffset? DeferredUntil);
