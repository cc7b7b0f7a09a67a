using System.Buffers;
using System.Globalization;

namespace Simulator.Core;

/// <summary>
/// A parsed absolute URL, in the parts the URL standard names (protocol with its colon, search with
/// its '?', hash with its '#', empty strings for what is absent; port empty when it is the default).
/// </summary>
public sealed record UrlParts(string Protocol, string Username, string Password, string Hostname, string Port, string Pathname, string Search, string Hash, string Href)
{
    /// <summary>Whether <paramref name="url"/> starts with a scheme and its colon (<c>https:</c>).</summary>
    public static bool HasScheme(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && char.IsAsciiLetter(url[0]) && !url.AsSpan(0, colon).ContainsAnyExcept(SchemeChars);
    }

    /// <summary>
    /// Parses <paramref name="input"/>, against <paramref name="relativeTo"/> when given, as
    /// <see cref="Uri"/> does; false when it is not a valid absolute URL.
    /// </summary>
    public static bool TryParse(string input, string? relativeTo, out UrlParts parts)
    {
        ArgumentNullException.ThrowIfNull(input);
        return (relativeTo is null && TryParseCanonical(input, out parts)) || TryParseWithUri(input, relativeTo, out parts);
    }

    /// <summary><see cref="TryParse"/> through <see cref="Uri"/> alone.</summary>
    internal static bool TryParseWithUri(string input, string? relativeTo, out UrlParts parts)
    {
        Uri? uri;
        if (relativeTo is null ? !Uri.TryCreate(input, UriKind.Absolute, out uri) : !(Uri.TryCreate(relativeTo, UriKind.Absolute, out var baseUri) && Uri.TryCreate(baseUri, input, out uri)))
        {
            parts = null!;
            return false;
        }

        var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
        var (user, password) = colon < 0 ? (uri.UserInfo, string.Empty) : (uri.UserInfo[..colon], uri.UserInfo[(colon + 1)..]);
        var port = uri.IsDefaultPort ? string.Empty : uri.Port.ToString(CultureInfo.InvariantCulture);
        parts = new UrlParts(
            uri.Scheme + ":", user, password, uri.IdnHost, port, uri.AbsolutePath,
            uri.Query.Length > 1 ? uri.Query : string.Empty, uri.Fragment.Length > 1 ? uri.Fragment : string.Empty, uri.AbsoluteUri);
        return true;
    }

    /// <summary>
    /// The parts of an http(s) URL already in the form <see cref="Uri"/> would give it back in, read
    /// without building a <see cref="Uri"/> (a few microseconds each, once per request a Worker parses):
    /// a lower-case host name (not an address, not punycode), a port that is not the default, a path
    /// with no dot segments and no escapes, a query and a fragment of plain characters. False for
    /// anything else, which <see cref="TryParse"/> leaves to <see cref="Uri"/>.
    /// </summary>
    public static bool TryParseCanonical(string input, out UrlParts parts)
    {
        ArgumentNullException.ThrowIfNull(input);
        parts = null!;
        var span = input.AsSpan();
        var (scheme, defaultPort) = span.StartsWith("https://") ? ("https:", "443") : span.StartsWith("http://") ? ("http:", "80") : (null, null);
        if (scheme is null)
        {
            return false;
        }

        var rest = span[(scheme.Length + 2)..];
        var hostEnd = rest.IndexOfAnyExcept(HostChars);
        if (hostEnd <= 0 || !IsHostName(rest[..hostEnd]))
        {
            return false;
        }

        var hostname = rest[..hostEnd];
        rest = rest[hostEnd..];
        var port = ReadOnlySpan<char>.Empty;
        if (rest.StartsWith(':'))
        {
            var digits = rest[1..];
            var portEnd = digits.IndexOfAnyExceptInRange('0', '9');
            port = portEnd < 0 ? digits : digits[..portEnd];
            if (port.Length is 0 or > 5 || port[0] == '0' || int.Parse(port, CultureInfo.InvariantCulture) > 65535 || port.SequenceEqual(defaultPort))
            {
                return false;
            }

            rest = digits[port.Length..];
        }

        var pathEnd = rest.IndexOfAnyExcept(PathChars);
        var path = pathEnd < 0 ? rest : rest[..pathEnd];
        if (!path.StartsWith('/') || HasDotSegment(path))
        {
            return false;
        }

        rest = rest[path.Length..];
        var search = ReadOnlySpan<char>.Empty;
        if (rest.StartsWith('?'))
        {
            var queryEnd = rest[1..].IndexOfAnyExcept(QueryChars);
            search = queryEnd < 0 ? rest : rest[..(queryEnd + 1)];
            rest = rest[search.Length..];
            if (search.Length == 1)
            {
                return false;
            }
        }

        var hash = rest;
        if (hash.Length > 0 && (hash.Length == 1 || hash[0] != '#' || hash[1..].ContainsAnyExcept(QueryChars)))
        {
            return false;
        }

        parts = new UrlParts(scheme, string.Empty, string.Empty, hostname.ToString(), port.ToString(), path.ToString(), search.ToString(), hash.ToString(), input);
        return true;
    }

    // Labels of lower-case letters, digits and inner hyphens, the last starting with a letter (so
    // never an IPv4 address, which Uri rewrites), none punycode (Uri checks and may rewrite those),
    // and not "loopback", which Uri names localhost.
    private static bool IsHostName(ReadOnlySpan<char> host)
    {
        if (host.SequenceEqual("loopback"))
        {
            return false;
        }

        foreach (var range in host.Split('.'))
        {
            var label = host[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || label.StartsWith("xn--"))
            {
                return false;
            }
        }

        return char.IsAsciiLetterLower(host[host.LastIndexOf('.') + 1]);
    }

    private static bool HasDotSegment(ReadOnlySpan<char> path)
    {
        foreach (var range in path.Split('/'))
        {
            if (path[range] is "." or "..")
            {
                return true;
            }
        }

        return false;
    }

    private static readonly SearchValues<char> SchemeChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    private static readonly SearchValues<char> HostChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-.");

    // Characters a path, query or fragment keeps as they are in Uri's form: unreserved ones and the
    // sub-delimiters, ':' and '@' (RFC 3986), '/' and, after the path, '?'.
    private static readonly SearchValues<char> PathChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/");
    private static readonly SearchValues<char> QueryChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?");
}
