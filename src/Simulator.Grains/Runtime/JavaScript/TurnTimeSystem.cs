using System.Globalization;
using Jint.Runtime;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// JavaScript's clock, as the platform's: <c>Date</c> in UTC, reading the simulated time as it was
/// when the current turn began (it does not move while code runs, as on the platform, where it
/// moves only on I/O).
/// </summary>
internal sealed class TurnTimeSystem() : DefaultTimeSystem(TimeZoneInfo.Utc, CultureInfo.InvariantCulture)
{
    private DateTimeOffset _now;

    /// <summary>The turn's instant, to the millisecond.</summary>
    public DateTimeOffset Now
    {
        get => _now;
        set => _now = DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());
    }

    public override DateTimeOffset GetUtcNow() => _now;
}
