using CsCheck;
using static Simulator.Core.Tests.TestWorkers;

namespace Simulator.Core.Tests;

public sealed class VersionSelectorTests
{
    private static readonly Guid A = new("dc8dcd28-271b-4367-9840-6c244f84cb40");
    private static readonly Guid B = new("0f3b4e5a-1111-4a4a-9999-123456789abc");
    private static readonly VersionRanges Split = VersionRanges.From(Shares((A, 10), (B, 90)));

    private static VersionSelection Select(string? overrides, string? key = null, VersionRanges? ranges = null) =>
        VersionSelector.Select("my-worker", ranges ?? Split, overrides, key, new Random(7));

    [Fact]
    public void An_override_for_this_worker_wins()
    {
        Assert.Equal(new VersionSelection(A, SelectionReason.Override), Select($"my-worker=\"{A}\"", key: "foo"));
        Assert.Equal(new VersionSelection(B, SelectionReason.Override), Select($"my-worker=\"{B}\""));
    }

    [Fact]
    public void An_override_reaches_a_version_at_0_percent()
    {
        var ranges = VersionRanges.From(Shares((A, 0), (B, 100)));
        Assert.Equal(new VersionSelection(A, SelectionReason.Override), Select($"my-worker=\"{A}\"", ranges: ranges));
    }

    [Fact]
    public void Several_workers_in_one_header()
    {
        var header = $"other-worker=\"{B}\", my-worker=\"{A}\";note=1, third=\"x\"";
        Assert.Equal(new VersionSelection(A, SelectionReason.Override), Select(header));
    }

    [Fact]
    public void With_duplicate_keys_the_last_one_counts() =>
        Assert.Equal(A, Select($"my-worker=\"{B}\", my-worker=\"{A}\"").VersionId);

    [Theory]
    [InlineData("my-worker=\"dc8dcd28-271b-4367-9840-6c244f84cb40\",")] // trailing comma: not a valid Dictionary
    [InlineData("my-worker=dc8dcd28")] // a Token, not a String
    [InlineData("my-worker=(\"dc8dcd28-271b-4367-9840-6c244f84cb40\")")] // an Inner List
    [InlineData("my-worker=\"not-a-uuid\"")]
    [InlineData("my-worker=\"11111111-2222-3333-4444-555555555555\"")] // not in the deployment
    [InlineData("other-worker=\"dc8dcd28-271b-4367-9840-6c244f84cb40\"")] // another worker
    [InlineData("My-Worker=\"dc8dcd28-271b-4367-9840-6c244f84cb40\"")] // keys are lowercase
    [InlineData("")]
    public void An_unusable_override_falls_back_to_the_version_key(string header)
    {
        var expected = new VersionSelection(Split.VersionFor("user-1"), SelectionReason.VersionKey);
        Assert.Equal(expected, Select(header, key: "user-1"));
        Assert.Equal(SelectionReason.Random, Select(header).Reason);
    }

    [Fact]
    public void The_same_key_always_gets_the_same_version() =>
        Gen.String.Sample(key =>
        {
            var first = VersionSelector.Select("my-worker", Split, null, key, new Random());
            var again = VersionSelector.Select("my-worker", VersionRanges.From(Shares((A, 10), (B, 90))), null, key, new Random());
            if (string.IsNullOrEmpty(key))
            {
                // An empty key is no key: the draw is random.
                Assert.Equal(SelectionReason.Random, first.Reason);
            }
            else
            {
                Assert.Equal(first, again);
                Assert.Equal(new VersionSelection(Split.VersionFor(key), SelectionReason.VersionKey), first);
            }
        });

    [Fact]
    public void A_seeded_random_source_replays_exactly()
    {
        var random1 = new Random(123);
        var random2 = new Random(123);
        var run1 = Enumerable.Range(0, 200).Select(_ => VersionSelector.Select("my-worker", Split, null, null, random1).VersionId).ToList();
        var run2 = Enumerable.Range(0, 200).Select(_ => VersionSelector.Select("my-worker", Split, null, null, random2).VersionId).ToList();
        Assert.Equal(run1, run2);
        Assert.Contains(A, run1);
        Assert.Contains(B, run1);
    }

    [Fact]
    public void Random_picks_follow_the_configured_odds()
    {
        // 100,000 draws at 10%: within 6 standard deviations (±569) of 10,000.
        var random = new Random(99);
        var onA = Enumerable.Range(0, 100_000).Count(_ => VersionSelector.Select("my-worker", Split, null, null, random).VersionId == A);
        Assert.InRange(onA, 10_000 - 569, 10_000 + 569);
    }

    [Fact]
    public void Each_reason_has_the_name_the_diagnostic_header_and_spans_show() =>
        Assert.Equal(["override", "version-key", "random"], Enum.GetValues<SelectionReason>().Select(r => r.Name()));
}
