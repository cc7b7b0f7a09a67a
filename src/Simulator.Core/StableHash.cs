using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Simulator.Core;

/// <summary>
/// The stable 64-bit hash behind every assignment: XxHash3 over the UTF-8 bytes of a string with a
/// fixed seed. Never string.GetHashCode, which changes per process. Changing the seed or the
/// algorithm moves objects between versions, so tests pin golden values.
/// </summary>
public static class StableHash
{
    /// <summary>The smallest seed under which the docs' foo/bar/baz table comes out as the docs print it.</summary>
    public const long Seed = 1;

    private const int StackLimit = 512;

    /// <summary>The point in the 64-bit hash space of an object id or a version key.</summary>
    public static ulong Point(ReadOnlySpan<char> text) => Point(text, Seed);

    public static ulong Point(ReadOnlySpan<char> text, long seed)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[max];
            var length = Encoding.UTF8.GetBytes(text, buffer);
            return XxHash3.HashToUInt64(buffer[..length], seed);
        }

        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var length = Encoding.UTF8.GetBytes(text, rented);
            return XxHash3.HashToUInt64(rented.AsSpan(0, length), seed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
