using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Simulator.Core;

/// <summary>Durable Object ids: 64 lowercase hex digits, as the platform prints them.</summary>
public static class DurableObjectId
{
    public const int Length = 64;

    /// <summary>
    /// The stable id of a named object in a namespace (dosim names a namespace by its class): the same
    /// name always gives the same id in one namespace, and different ids in two.
    /// </summary>
    public static string FromName(string @namespace, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentNullException.ThrowIfNull(name);
        if (RecentNames.TryGetValue((@namespace, name), out var known))
        {
            return known;
        }

        var id = Hash(@namespace, name);
        if (Interlocked.Increment(ref _recentAdded) > RecentCapacity)
        {
            RecentNames.Clear();
            Interlocked.Exchange(ref _recentAdded, 0);
        }

        RecentNames[(@namespace, name)] = id;
        return id;
    }

    // Workers route the same names again and again, and the hash goes through the system's crypto
    // library: in a profile of the gateway path under load it took an eighth of the JavaScript
    // Worker's time. The ids of recent names are kept, at most a few thousand.
    private const int RecentCapacity = 4096;
    private static readonly ConcurrentDictionary<(string Namespace, string Name), string> RecentNames = new();
    private static int _recentAdded;

    private static string Hash(string @namespace, string name)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"dosim/durable-object-name/{@namespace}/{name}"), digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>A new random id, as newUniqueId() gives.</summary>
    public static string NewUnique() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static bool IsValid(string? id) =>
        id is { Length: Length } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
