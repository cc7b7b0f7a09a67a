using System.Collections.Immutable;
using CsCheck;

namespace Simulator.Core.Tests;

/// <summary>A behaviour is on from its date or with its enable flag, and its disable flag always wins.</summary>
public sealed class CompatibilityFlagTests
{
    private static readonly Gen<string> Date = Gen.Select(Gen.Int[2020, 2030], Gen.Int[1, 12], Gen.Int[1, 28]).Select((y, m, d) => $"{y:D4}-{m:D2}-{d:D2}");

    private static readonly CompatibilityFlag Flag = CompatibilityFlag.WebSocketAutoReplyToClose;

    private static readonly Gen<string[]> Flags = Gen.OneOfConst(Flag.Enable, Flag.Disable, "nodejs_compat", "other").Array[0, 3];

    [Fact]
    public void On_exactly_from_its_date_or_with_its_flag_and_never_with_its_disable_flag() =>
        Gen.Select(Date.Null(), Flags).Sample((date, flags) =>
        {
            var expected = !flags.Contains(Flag.Disable) && (flags.Contains(Flag.Enable) || (date is not null && string.CompareOrdinal(date, "2026-04-07") >= 0));
            Assert.Equal(expected, Flag.IsOn(date, [.. flags]));
        });

    [Theory]
    [InlineData("2026-04-06", false)]
    [InlineData("2026-04-07", true)]
    [InlineData("2027-01-01", true)]
    public void The_auto_reply_to_close_starts_on_2026_04_07(string date, bool on) => Assert.Equal(on, Flag.IsOn(date, ImmutableArray<string>.Empty));

    [Fact]
    public void The_close_reason_limit_starts_on_2026_03_03()
    {
        Assert.False(CompatibilityFlag.WebSocketCloseReasonByteLimit.IsOn("2026-03-02", []));
        Assert.True(CompatibilityFlag.WebSocketCloseReasonByteLimit.IsOn("2026-03-03", []));
        Assert.False(CompatibilityFlag.WebSocketCloseReasonByteLimit.IsOn("2026-12-01", ["no_websocket_close_reason_byte_limit"]));
    }

    [Fact]
    public void Blob_as_the_default_binary_type_starts_on_2026_03_17()
    {
        Assert.False(CompatibilityFlag.WebSocketStandardBinaryType.IsOn("2026-03-16", []));
        Assert.True(CompatibilityFlag.WebSocketStandardBinaryType.IsOn("2026-03-17", []));
        Assert.True(CompatibilityFlag.WebSocketStandardBinaryType.IsOn("2025-01-01", ["websocket_standard_binary_type"]));
        Assert.False(CompatibilityFlag.WebSocketStandardBinaryType.IsOn("2026-12-01", ["no_websocket_standard_binary_type"]));
    }
}
