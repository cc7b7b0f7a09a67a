using CsCheck;

namespace Simulator.Core.Tests;

/// <summary>The parser's shortcut for URLs already in canonical form gives what System.Uri gives, or declines.</summary>
public sealed class UrlPartsTests
{
    // Mostly canonical pieces, with the near misses Uri rewrites (case, escapes, dot segments,
    // default ports, addresses, punycode, characters it escapes) mixed in.
    private static readonly Gen<string> Label = Gen.Frequency(
        (6, Gen.Select(Gen.Char["abcxyz"], Gen.Char["abcxyz019-"].Array[0, 6]).Select((first, rest) => first + new string(rest))),
        (1, Gen.OneOfConst("localhost", "loopback", "counter", "xn--bcher-kva", "Example", "127", "0x7f", "a-", "-a", string.Empty, "1a")));

    private static readonly Gen<string> Host = Label.Array[1, 3].Select(labels => string.Join('.', labels));

    private static readonly Gen<string> Segment = Gen.Frequency(
        (6, Gen.Char["aZ09-._~!$&'()*+,;=:@"].Array[0, 6].Select(c => new string(c))),
        (1, Gen.Char["aZ09% \"<>\\^`{|}\u00e9"].Array[1, 4].Select(c => new string(c))),
        (1, Gen.OneOfConst(".", "..", "%41", "%2F", "%7e", "foo")));

    private static readonly Gen<string> Path = Gen.Frequency(
        (8, Segment.Array[1, 4].Select(s => "/" + string.Join('/', s))),
        (1, Gen.Const(string.Empty)));

    private static readonly Gen<string> Plain = Gen.Frequency(
        (6, Gen.Char["aZ09-._~!$&'()*+,;=:@/?"].Array[0, 8].Select(c => new string(c))),
        (1, Gen.Char["aZ09% #\"<>\u00e9"].Array[1, 4].Select(c => new string(c))));

    private static readonly Gen<string> Url = Gen.Select(
        Gen.Frequency((8, Gen.OneOfConst("http://", "https://")), (1, Gen.OneOfConst("HTTP://", "ftp://", "https:/", "http:"))),
        Gen.Frequency((8, Gen.Const(string.Empty)), (1, Gen.OneOfConst("user@", "user:pw@"))),
        Host,
        Gen.Frequency((4, Gen.Const(string.Empty)), (2, Gen.Int[1, 65535].Select(p => ":" + p)), (1, Gen.OneOfConst(":80", ":443", ":0", ":08080", ":65536", ":"))),
        Path,
        Gen.Frequency((2, Gen.Const(string.Empty)), (1, Plain.Select(q => "?" + q))),
        Gen.Frequency((3, Gen.Const(string.Empty)), (1, Plain.Select(f => "#" + f))))
        .Select((scheme, user, host, port, path, query, fragment) => scheme + user + host + port + path + query + fragment);

    [Fact]
    public void A_url_the_shortcut_reads_has_the_parts_uri_gives_it()
    {
        var taken = 0;
        Url.Sample(url =>
        {
            if (UrlParts.TryParseCanonical(url, out var fast))
            {
                Interlocked.Increment(ref taken);
                Assert.True(UrlParts.TryParseWithUri(url, null, out var slow), url);
                Assert.Equal(slow, fast);
            }
        }, iter: 20_000);

        // The generator reaches both sides of the shortcut often enough for the comparison to mean something.
        Assert.True(taken is > 2_000 and < 18_000, $"{taken} of 20,000 generated URLs took the shortcut (both kinds are wanted)");
    }

    [Theory]
    [InlineData("https://counter.localhost:8787/foo?x=1&y=%#top", false)]
    [InlineData("https://counter.localhost:8787/foo?x=1&y=2#top", true)]
    [InlineData("http://gw.localhost/o17", true)]
    [InlineData("http://127.0.0.1:8787/", false)]
    [InlineData("http://gw.localhost:80/", false)]
    [InlineData("http://gw.localhost", false)]
    [InlineData("http://gw.localhost/a/../b", false)]
    [InlineData("http://GW.localhost/", false)]
    [InlineData("http://loopback/x", false)]
    [InlineData("http://loopback.example/x", true)]
    public void Urls_in_canonical_form_take_the_shortcut_and_the_rest_go_to_uri(string url, bool canonical)
    {
        Assert.Equal(canonical, UrlParts.TryParseCanonical(url, out _));
        Assert.True(UrlParts.TryParse(url, null, out var parts) || !canonical);
        if (UrlParts.TryParseWithUri(url, null, out var slow))
        {
            Assert.Equal(slow, parts);
        }
    }

    [Fact]
    public void A_relative_url_resolves_against_its_base_and_a_url_without_a_scheme_is_refused()
    {
        Assert.True(UrlParts.TryParse("../b?q=1", "https://example.com/a/c", out var parts));
        Assert.Equal("https://example.com/b?q=1", parts.Href);
        Assert.Equal("?q=1", parts.Search);
        Assert.False(UrlParts.HasScheme("/foo"));
        Assert.False(UrlParts.TryParse("not a url", null, out _));
    }
}
