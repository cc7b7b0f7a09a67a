using CsCheck;

namespace Simulator.Core.Tests;

public sealed class CodeUpdateStrategyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    // Delays in milliseconds, from 0 to the platform's day, with the edges.
    private static readonly Gen<long> DelayMs = Gen.OneOf(Gen.Long[0, 86_400_000], Gen.Const(0L), Gen.Const(1L), Gen.Const(300_000L), Gen.Const(86_400_000L));

    [Theory]
    [InlineData("immediate", "immediate", null)]
    [InlineData("deferred", "deferred", 300d)]
    [InlineData("deferred=30s", "deferred", 30d)]
    [InlineData("deferred 30s", "deferred", 30d)]
    [InlineData("deferred=1.5s", "deferred", 1.5)]
    [InlineData("deferred=250ms", "deferred", 0.25)]
    [InlineData("deferred=5m", "deferred", 300d)]
    [InlineData("deferred=24h", "deferred", 86_400d)]
    [InlineData("deferred=1d", "deferred", 86_400d)]
    [InlineData("deferred=45", "deferred", 45d)]
    [InlineData("deferred=0", "immediate", null)]
    [InlineData("deferred 0s", "immediate", null)]
    public void The_command_lines_spellings_read_as_the_platform_means_them(string text, string mode, double? seconds) =>
        Assert.Equal(new CodeUpdateStrategy(mode, seconds), CodeUpdateStrategy.Parse(text));

    [Theory]
    [InlineData("later", "is not a code update strategy")]
    [InlineData("immediate=5s", "immediate takes no delay")]
    [InlineData("deferred=25h", "between 0 and 86400 seconds")]
    [InlineData("deferred=0.0001s", "millisecond precision")]
    [InlineData("deferred=-5s", "is not a code update strategy")]
    public void A_bad_spelling_or_delay_is_refused_with_what_to_write(string text, string says)
    {
        var error = Assert.Throws<RuleViolationException>(() => CodeUpdateStrategy.Parse(text)).Error;
        Assert.Equal(RuleError.InvalidInput, error.Code);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Immediate_with_a_delay_and_a_delay_over_a_day_are_refused_as_the_platform_refuses_them()
    {
        Assert.Contains("takes no max_delay", new CodeUpdateStrategy("immediate", 30).Validate()!.Message, StringComparison.Ordinal);
        Assert.Contains("between 0 and 86400", new CodeUpdateStrategy("deferred", 86_400.001).Validate()!.Message, StringComparison.Ordinal);
        Assert.Null(new CodeUpdateStrategy("deferred", 86_400).Validate());
        Assert.Null(CodeUpdateStrategy.PlatformDefault.Validate());
        Assert.Equal(TimeSpan.FromSeconds(300), new CodeUpdateStrategy("deferred", null).Delay);
    }

    [Fact]
    public void An_object_switches_at_the_first_deadline_of_the_deployments_that_reassigned_it() =>
        Gen.Select(DelayMs, DelayMs, Gen.Long[0, 86_400_000]).Sample((first, second, elapsedMs) =>
        {
            var one = new CodeUpdateStrategy(CodeUpdateStrategy.Deferred, first / 1000.0);
            var two = new CodeUpdateStrategy(CodeUpdateStrategy.Deferred, second / 1000.0);
            var pending = one.SwitchBy(Now, null);
            Assert.Equal(Now.AddMilliseconds(first), pending);

            // A later deploy never moves the deadline later; a shorter delay brings it forward.
            var later = Now.AddMilliseconds(elapsedMs);
            var by = two.SwitchBy(later, pending);
            Assert.Equal(pending < later.AddMilliseconds(second) ? pending : later.AddMilliseconds(second), by);
            Assert.True(by <= pending);

            // An immediate deploy forces it at once, whatever is pending.
            Assert.True(CodeUpdateStrategy.ImmediateUpdate.SwitchBy(later, pending) <= later);
        });

    [Fact]
    public void Deferred_zero_is_immediate() =>
        Assert.Equal(Now, new CodeUpdateStrategy(CodeUpdateStrategy.Deferred, 0).SwitchBy(Now, null));

    [Fact]
    public void A_forecast_defers_every_moved_active_object_to_its_switch_or_resets_it_at_once_when_that_is_now()
    {
        var pending = Gen.OneOf(Gen.Const((DateTimeOffset?)null), Gen.Long[-60_000, 400_000].Select(ms => (DateTimeOffset?)Now.AddMilliseconds(ms)));
        Gen.Select(DelayMs, pending.Array[0, 30]).Sample((ms, deadlines) =>
        {
            var strategy = ms == 0 ? CodeUpdateStrategy.ImmediateUpdate : new CodeUpdateStrategy(CodeUpdateStrategy.Deferred, ms / 1000d);
            var forecast = strategy.Forecast(deadlines, Now);
            var switches = deadlines.Select(d => strategy.SwitchBy(Now, d)).ToList();
            return forecast.ResetNow + forecast.Deferred == deadlines.Length
                && forecast.ResetNow == switches.Count(s => s <= Now)
                && forecast.DeferredUntil == (forecast.Deferred == 0 ? null : switches.Where(s => s > Now).Max())
                && (ms != 0 || forecast.Deferred == 0)
                && (forecast.DeferredUntil is null || forecast.DeferredUntil <= Now.AddMilliseconds(ms));
        });
    }
}
