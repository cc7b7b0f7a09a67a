using System.Security.Cryptography;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>What <c>crypto.subtle</c> computes on the host: digests and HMAC, by the Web Crypto hash names.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "Web Crypto offers SHA-1 to the Worker's code, as the platform does; dosim computes what the code asks for.")]
internal static class WebCrypto
{
    public static byte[] Digest(string hash, byte[] data) => hash switch
    {
        "SHA-1" => SHA1.HashData(data),
        "SHA-256" => SHA256.HashData(data),
        "SHA-384" => SHA384.HashData(data),
        "SHA-512" => SHA512.HashData(data),
        _ => throw new ArgumentException($"Unrecognized hash name: {hash}.", nameof(hash)),
    };

    public static byte[] Hmac(string hash, byte[] key, byte[] data) => hash switch
    {
        "SHA-1" => HMACSHA1.HashData(key, data),
        "SHA-256" => HMACSHA256.HashData(key, data),
        "SHA-384" => HMACSHA384.HashData(key, data),
        "SHA-512" => HMACSHA512.HashData(key, data),
        _ => throw new ArgumentException($"Unrecognized hash name: {hash}.", nameof(hash)),
    };
}
