using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Runtime.WebSockets;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// The host side of the prelude's <c>WebSocket</c>, <c>WebSocketPair</c> and the hibernation API:
/// each pair is one <see cref="ServerSocket"/>, which the code holds as a <see cref="SocketHandle"/>.
/// A socket accepted in an object's turn belongs to the object's <see cref="ObjectSockets"/>; one a
/// Worker hands to a gateway is held by the silo's <see cref="WorkerSockets"/>.
/// </summary>
internal sealed class JavaScriptWebSockets
{
    /// <summary>The platform's limit on a socket's attachment (workerd's MAX_ATTACHMENT_SIZE).</summary>
    public const int MaxAttachmentBytes = 16 * 1024;

    private readonly Engine _engine;
    private readonly Func<JavaScriptInvocation?> _current;
    private readonly Func<StructuredClone> _clone;

    public JavaScriptWebSockets(Engine engine, ObjectInstance host, WorkerCode code, Func<JavaScriptInvocation?> current, Func<StructuredClone> clone)
    {
        (_engine, _current, _clone) = (engine, current, clone);
        var closeReasonLimit = CompatibilityFlag.WebSocketCloseReasonByteLimit.IsOn(code);
        AutoReplyToClose = CompatibilityFlag.WebSocketAutoReplyToClose.IsOn(code);
        var binaryTypeBlob = CompatibilityFlag.WebSocketStandardBinaryType.IsOn(code);
        Set(host, "flag", (_, a) => a.At(0).AsString() switch
        {
            "websocket_close_reason_byte_limit" => closeReasonLimit,
            "web_socket_auto_reply_to_close" => AutoReplyToClose,
            "websocket_standard_binary_type" => binaryTypeBlob,
            _ => false,
        });
        Set(host, "wsPair", (_, _) => Handle(new ServerSocket(Guid.NewGuid())));
        Set(host, "wsState", (_, a) => Socket(a.At(0)).ReadyState);
        Set(host, "wsAccept", (_, a) =>
        {
            var socket = Socket(a.At(0));
            socket.Script = a.At(1);
            _current()?.Owner?.Sockets.Add(socket);
            return JsValue.Undefined;
        });
        Set(host, "wsServerEnd", (_, a) =>
        {
            var socket = Socket(a.At(0));
            socket.Script ??= a.At(1);
            return JsValue.Undefined;
        });
        Set(host, "wsHibernate", (_, a) =>
        {
            var sockets = ObjectSockets("acceptWebSocket");
            var socket = Socket(a.At(0));
            (socket.Hibernatable, socket.Tags) = (true, [.. a.At(1).AsArray().Select(t => t.AsString())]);
            try
            {
                sockets.Add(socket);
            }
            catch (InvalidOperationException ex)
            {
                socket.Hibernatable = false;
                throw new JavaScriptException(_engine.Intrinsics.Error, ex.Message);
            }

            return JsValue.Undefined;
        });
        Set(host, "wsSend", (_, a) =>
        {
            var socket = Socket(a.At(0));
            if (socket.ClosedOutgoing)
            {
                throw new JavaScriptException(_engine.Intrinsics.TypeError, "Can't call WebSocket send() after close().");
            }

            var payload = a.At(1).AsString();
            socket.Send(a.At(2).AsBoolean() ? SocketFrame.Message(payload) : SocketFrame.Message(Encoding.Latin1.GetBytes(payload)), _current()?.TurnWritten);
            return JsValue.Undefined;
        });
        Set(host, "wsClose", (_, a) =>
        {
            var socket = Socket(a.At(0));
            if (!socket.ClosedOutgoing)
            {
                // No code: a Close frame without a status, which the peer reads as 1005.
                socket.Send(SocketFrame.Close(a.At(1).IsNull() ? 1005 : (int)a.At(1).AsNumber(), a.At(2).IsNull() ? string.Empty : a.At(2).AsString()), _current()?.TurnWritten);
            }

            return JsValue.Undefined;
        });
        Set(host, "wsList", (_, a) =>
        {
            var tag = a.At(0).IsNull() ? null : a.At(0).AsString();
            var sockets = _current()?.Owner?.Sockets;
            return new JsArray(_engine, sockets is null ? [] : [.. sockets.Hibernatable(tag).Select(Handle)]);
        });
        Set(host, "wsTags", (_, a) => new JsArray(_engine, [.. Socket(a.At(0)).Tags.Select(t => (JsValue)t)]));
        Set(host, "wsAttach", (_, a) =>
        {
            // The limit holds against V8's serialized size, as on the platform.
            var bytes = _clone().Write(a.At(1), out var size);
            if (size > MaxAttachmentBytes)
            {
                throw new JavaScriptException(_engine.Intrinsics.Error, $"A WebSocket 'attachment' cannot be larger than {MaxAttachmentBytes} bytes.'attachment' was {size} bytes.");
            }

            Socket(a.At(0)).Attachment = bytes;
            return JsValue.Undefined;
        });
        Set(host, "wsAttachment", (_, a) => Socket(a.At(0)).Attachment is { } bytes ? _clone().Read(bytes) : JsValue.Null);
        Set(host, "wsAutoResponse", (_, a) =>
        {
            var sockets = ObjectSockets("setWebSocketAutoResponse");
            sockets.AutoResponse = a.At(0).IsNull() ? null : (a.At(0).AsString(), a.At(1).AsString());
            return JsValue.Undefined;
        });
        Set(host, "wsAutoResponseGet", (_, _) => ObjectSockets("getWebSocketAutoResponse").AutoResponse is { } pair
            ? new JsArray(_engine, [pair.Request, pair.Response])
            : JsValue.Null);
        Set(host, "wsAutoResponseAt", (_, a) => Socket(a.At(0)).AutoResponseMs is { } ms ? ms : JsValue.Null);
        Set(host, "wsEventTimeout", (_, a) =>
        {
            ObjectSockets("setHibernatableWebSocketEventTimeout").EventTimeoutMs = a.At(0).IsNull() ? null : (int)a.At(0).AsNumber();
            return JsValue.Undefined;
        });
        Set(host, "wsEventTimeoutGet", (_, _) => ObjectSockets("getHibernatableWebSocketEventTimeout").EventTimeoutMs is { } ms ? ms : JsValue.Null);
    }

    /// <summary>Whether the runtime answers a peer's Close frame itself (the version's compatibility date or flags).</summary>
    public bool AutoReplyToClose { get; }

    /// <summary>The code's handle on a socket, one per socket and engine (so the code's maps of sockets work).</summary>
    public JsValue Handle(ServerSocket socket)
    {
        if (socket.Handle is SocketHandle handle && ReferenceEquals(handle.Engine, _engine))
        {
            return handle;
        }

        var made = new SocketHandle(_engine, socket);
        socket.Handle = made;
        return made;
    }

    /// <summary>
    /// The client end a handler's Response carries, handed to whoever receives the response: an
    /// object's socket is the object's; a Worker's gets an endpoint of its own. An end that came in
    /// a subrequest's response is passed on as it is.
    /// </summary>
    public SocketLink Export(JsValue end, Func<ServerSocket, InvocationContext, ISocketEndpoint> workerEndpoint)
    {
        switch (end)
        {
            case SocketLinkHandle passed:
                return passed.Link;
            case SocketHandle { Socket: var socket }:
                var invocation = _current() ?? throw new InvalidOperationException("A WebSocket response outside a turn of JavaScript.");
                if (invocation.Owner is { } owner)
                {
                    owner.Sockets.Add(socket);
                    socket.Owner = owner.Sockets.Endpoint;
                }
                else
                {
                    socket.Owner = workerEndpoint(socket, invocation.Context);
                }

                return new SocketLink(socket.Id, socket.Owner);
            default:
                throw new JavaScriptException(_engine.Intrinsics.TypeError, "The response's webSocket is not a WebSocket.");
        }
    }

    /// <summary>The client end of a subrequest's response, for the code to pass on.</summary>
    public JsValue Remote(SocketLink link) => new SocketLinkHandle(_engine, link);

    /// <summary>One batch of a socket's frames as the prelude's <c>socketEvents</c> takes them.</summary>
    public JsArray Frames(IReadOnlyList<SocketFrame> frames)
    {
        var list = new JsValue[frames.Count];
        for (var i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            list[i] = f.IsClose
                ? new JsArray(_engine, ["close", JsValue.Null, false, f.CloseCode!.Value, f.CloseReason, f.WasClean])
                : f.Text is { } text
                    ? new JsArray(_engine, ["message", text, false])
                    : new JsArray(_engine, ["message", Encoding.Latin1.GetString(f.Bytes ?? []), true]);
        }

        return new JsArray(_engine, list);
    }

    private ObjectSockets ObjectSockets(string api) => _current()?.Owner?.Sockets
        ?? throw new JavaScriptException(_engine.Intrinsics.Error, $"ctx.{api}() is only available in a Durable Object.");

    private ServerSocket Socket(JsValue handle) => handle is SocketHandle { Socket: var socket }
        ? socket
        : throw new JavaScriptException(_engine.Intrinsics.TypeError, "Illegal invocation: not a WebSocket of this runtime.");

    private void Set(ObjectInstance host, string name, Func<JsValue, JsValue[], JsValue> body) => host.Set(name, new ClrFunction(_engine, name, body));
}

/// <summary>What the code holds for a socket: the host's server end, never readable by the code.</summary>
internal sealed class SocketHandle(Engine engine, ServerSocket socket) : ObjectInstance(engine)
{
    public ServerSocket Socket { get; } = socket;
}

/// <summary>The client end of a socket that came back in a subrequest's response.</summary>
internal sealed class SocketLinkHandle(Engine engine, SocketLink link) : ObjectInstance(engine)
{
    public SocketLink Link { get; } = link;
}
