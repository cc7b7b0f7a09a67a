using System.Collections.Immutable;

namespace Simulator.Core;

/// <summary>
/// A runtime behaviour the platform turns on by compatibility date or by flag, as workerd's
/// <c>compatibility-date.capnp</c> declares it: on from its date, or with its enable flag; its
/// disable flag turns it off again. Only the flags dosim acts on are listed.
/// </summary>
public sealed record CompatibilityFlag(string Enable, string Disable, string? Date)
{
    /// <summary>The runtime replies to a peer's Close frame itself (from 2026-04-07).</summary>
    public static readonly CompatibilityFlag WebSocketAutoReplyToClose = new("web_socket_auto_reply_to_close", "web_socket_manual_reply_to_close", "2026-04-07");

    /// <summary>A WebSocket close reason over 123 UTF-8 bytes is refused (from 2026-03-03).</summary>
    public static readonly CompatibilityFlag WebSocketCloseReasonByteLimit = new("websocket_close_reason_byte_limit", "no_websocket_close_reason_byte_limit", "2026-03-03");

    /// <summary>A standard-API socket's binaryType defaults to "blob": binary messages reach its listeners as a Blob (from 2026-03-17).</summary>
    public static readonly CompatibilityFlag WebSocketStandardBinaryType = new("websocket_standard_binary_type", "no_websocket_standard_binary_type", "2026-03-17");

    /// <summary>Whether the behaviour is on for code with this compatibility date (yyyy-mm-dd, or none) and these flags.</summary>
    public bool IsOn(string? compatibilityDate, ImmutableArray<string> flags)
    {
        if (flags.Contains(Disable, StringComparer.Ordinal))
        {
            return false;
        }

        return flags.Contains(Enable, StringComparer.Ordinal)
            || (Date is not null && compatibilityDate is not null && string.CompareOrdinal(compatibilityDate, Date) >= 0);
    }

    /// <summary>Whether it is on for a version's code.</summary>
    public bool IsOn(WorkerCode? code) => code is not null && IsOn(code.CompatibilityDate, code.CompatibilityFlags);
}
