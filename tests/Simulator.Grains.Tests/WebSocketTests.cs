using System.Net.WebSockets;
using System.Text.Json;
using Simulator.Contracts;
using Simulator.Core.Tests;
using Simulator.Testing;
using Simulator.Core;

namespace Simulator.Grains.Tests;

/// <summary>
/// WebSockets through the HTTP gateway, with real client sockets: a Worker's own socket, an
/// object's with the hibernation API (tags, attachments, auto-response, handlers), hibernation on
/// the virtual clock, resets closing sockets, and the platform's errors.
/// </summary>
[Collection(VirtualClockCollection.Name)]
public sealed class WebSocketTests(VirtualClockFixture fixture) : IAsyncLifetime
{
    private static readonly string Config = "compatibility_date = \"2026-06-01\"\n" + JavaScriptWorkers.OneClassConfig("ROOM", "Room");

    private static string Room(string tag) => """
        import { DurableObject } from "cloudflare:workers";
        let builds = 0;
        export class Room extends DurableObject {
          constructor(ctx, env) {
            super(ctx, env);
            this.built = ++builds;
            ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
          }
          async fetch(request) {
            const url = new URL(request.url);
            if (request.headers.get("Upgrade") !== "websocket") {
              return Response.json({ sockets: this.ctx.getWebSockets().length, tagged: this.ctx.getWebSockets(url.searchParams.get("tag") ?? "none").length, built: this.built });
            }
            const [client, server] = Object.values(new WebSocketPair());
            if (url.pathname.endsWith("/standard")) {
              server.accept();
              server.addEventListener("message", (e) => server.send(`echo:${e.data} on instance ${this.built}`));
              return new Response(null, { status: 101, webSocket: client });
            }
            const name = url.searchParams.get("name");
            this.ctx.acceptWebSocket(server, [name, "all", name]);
            server.serializeAttachment({ name, joined: Date.now() });
            server.send(`welcome ${name} to VERSION`);
            return new Response(null, { status: 101, webSocket: client });
          }
          async webSocketMessage(ws, message) {
            const { name } = ws.deserializeAttachment();
            if (message instanceof ArrayBuffer) { ws.send(new Uint8Array(message).reverse()); return; }
            if (message === "tags") { ws.send(JSON.stringify(this.ctx.getTags(ws))); return; }
            if (message === "who") { ws.send(`${name} on instance ${this.built}, ${this.ctx.getWebSockets().length} sockets, ${this.ctx.getWebSockets(name).length} named, stamp ${this.ctx.getWebSocketAutoResponseTimestamp(ws) !== null}`); return; }
            for (const other of this.ctx.getWebSockets("all")) other.send(`${name}: ${message}`);
          }
          async webSocketClose(ws, code, reason, wasClean) {
            const { name } = ws.deserializeAttachment();
            for (const other of this.ctx.getWebSockets()) if (other !== ws) other.send(`${name} left ${code} ${reason} ${wasClean} state ${ws.readyState}`);
            if (wasClean) ws.close(code, reason);
          }
        }
        const attempt = (f) => { try { f(); return "ok"; } catch (e) { return `${e.name}: ${e.message}`; } };
        export default {
          async fetch(request, env) {
            const url = new URL(request.url);
            if (url.pathname === "/echo") {
              const [client, server] = Object.values(new WebSocketPair());
              server.accept();
              server.send("hello");
              // Binary messages arrive as a Blob (binaryType "blob" from 2026-03-17).
              server.addEventListener("message", async (e) => server.send(typeof e.data === "string" ? e.data.toUpperCase() : await e.data.arrayBuffer()));
              return new Response(null, { status: 101, webSocket: client });
            }
            if (url.pathname === "/errors") {
              const pair = () => Object.values(new WebSocketPair());
              const [c1, s1] = pair();
              const [c2, s2] = pair();
              s2.accept();
              const [c3, s3] = pair();
              return Response.json({
                sendBeforeAccept: attempt(() => s1.send("x")),
                code1005: attempt(() => s2.close(1005)),
                code999: attempt(() => s2.close(999)),
                reasonWithoutCode: attempt(() => s2.close(undefined, "why")),
                longReason: attempt(() => s2.close(1000, "x".repeat(124))),
                responseAfterAccept: attempt(() => new Response(null, { status: 101, webSocket: s2 })),
                closeThenSend: attempt(() => { s2.close(1000, "done"); s2.send("late"); }),
                doubleClose: attempt(() => s2.close(1000)),
                wrongStatus: attempt(() => new Response(null, { status: 200, webSocket: c3 })),
                reused: attempt(() => { new Response(null, { status: 101, webSocket: c1 }); new Response(null, { status: 101, webSocket: c1 }); }),
                acceptReleased: attempt(() => c1.accept()),
                readyStates: [WebSocket.READY_STATE_CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.READY_STATE_CLOSED, s3.readyState],
                outbound: attempt(() => new WebSocket("wss://example.com")),
              });
            }
            if (url.pathname === "/object-errors") return env.ROOM.get(env.ROOM.idFromName("errors")).fetch(request);
            const room = url.pathname.split("/")[2];
            return env.ROOM.get(env.ROOM.idFromName(room)).fetch(request);
          }
        };
        """.Replace("VERSION", tag, StringComparison.Ordinal);

    private const string ObjectErrors = """
        import { DurableObject } from "cloudflare:workers";
        const attempt = (f) => { try { f(); return "ok"; } catch (e) { return `${e.name}: ${e.message}`; } };
        export class Room extends DurableObject {
          async fetch() {
            const pair = () => Object.values(new WebSocketPair());
            const [c1, s1] = pair();
            s1.accept();
            const [c2, s2] = pair();
            const [c3, s3] = pair();
            this.ctx.acceptWebSocket(s3);
            const [c4, s4] = pair();
            this.ctx.acceptWebSocket(s4);
            return Response.json({
              acceptAfterAccept: attempt(() => this.ctx.acceptWebSocket(s1)),
              tooManyTags: attempt(() => this.ctx.acceptWebSocket(s2, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"])),
              longTag: attempt(() => this.ctx.acceptWebSocket(s2, ["t".repeat(257)])),
              tagsOfStandard: attempt(() => this.ctx.getTags(s1)),
              bigAttachment: attempt(() => s3.serializeAttachment("x".repeat(20000))),
              acceptAfterHibernation: attempt(() => s3.accept()),
              responseAfterAcceptWebSocket: attempt(() => new Response(null, { status: 101, webSocket: s4 })),
              bigAutoResponse: attempt(() => this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("x".repeat(2049), "y"))),
              eventTimeout: attempt(() => this.ctx.setHibernatableWebSocketEventTimeout(604800001)),
              eventTimeoutSet: (this.ctx.setHibernatableWebSocketEventTimeout(5000), this.ctx.getHibernatableWebSocketEventTimeout()),
              autoResponse: (this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("a", "b")), this.ctx.getWebSocketAutoResponse().response),
              listed: this.ctx.getWebSockets().length,
              attachmentNone: s4.deserializeAttachment(),
            });
          }
        }
        export default { fetch: (request, env) => env.ROOM.get(env.ROOM.idFromName("errors")).fetch(request) };
        """;

    // Handlers whose return values are not for anyone: a value no clone could carry, a thenable.
    private const string ReturnsValues = """
        import { DurableObject } from "cloudflare:workers";
        export class Room extends DurableObject {
          async fetch() {
            const [client, server] = Object.values(new WebSocketPair());
            this.ctx.acceptWebSocket(server);
            return new Response(null, { status: 101, webSocket: client });
          }
          webSocketMessage(ws, message) {
            ws.send(`got ${message}`);
            if (message === "thenable") return { then: (resolve) => { ws.send("thenable settled"); resolve(() => 1); } };
            return { handler: () => message, self: this };
          }
          webSocketClose(ws, code) { ws.close(code, "bye"); return () => code; }
        }
        export default { fetch: (request, env) => env.ROOM.get(env.ROOM.idFromName("values")).fetch(request) };
        """;

    // A constructor's block that installs the object's own message handler once storage answers.
    private const string BlockedHandler = """
        import { DurableObject } from "cloudflare:workers";
        let builds = 0;
        export class Room extends DurableObject {
          constructor(ctx, env) {
            super(ctx, env);
            const build = ++builds;
            ctx.blockConcurrencyWhile(async () => {
              await ctx.storage.get("settings");
              this.webSocketMessage = (ws, message) => ws.send(`instance ${build}: ${message}`);
            });
          }
          async fetch() {
            const [client, server] = Object.values(new WebSocketPair());
            this.ctx.acceptWebSocket(server);
            return new Response(null, { status: 101, webSocket: client });
          }
          webSocketMessage(ws, message) { ws.send(`prototype: ${message}`); }
        }
        export default { fetch: (request, env) => env.ROOM.get(env.ROOM.idFromName("blocked")).fetch(request) };
        """;

    // What a client reads when a reset of its object closes its socket.
    private static readonly string ClosedByReset = $"closed {WebSocketLimits.ResetCode} {WebSocketLimits.ResetReason}";

    private SocketGateway? _gateway;

    public async Task InitializeAsync() => _gateway = await SocketGateway.StartAsync(fixture.Cluster.Client);

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }

    private Task<ClientWebSocket> ConnectAsync(string worker, string path) => _gateway!.ConnectAsync(worker, path);

    private static CancellationToken Timeout() => SocketGateway.Timeout();

    private static Task SendAsync(ClientWebSocket socket, string text) => SocketGateway.SendAsync(socket, text);

    private static Task<string> ReceiveAsync(ClientWebSocket socket) => SocketGateway.ReceiveAsync(socket);

    // A new Worker with the rooms' bundle, or another bundle of the same binding.
    private async Task<WorkerHandle> DeployAsync(string tag = "v1", string? bundle = null)
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        await worker.DeployAsync(JavaScriptWorkers.Draft(tag, bundle ?? Room(tag), Config));
        return worker;
    }

    [Fact]
    public async Task A_worker_accepts_its_own_socket_and_echoes_text_and_binary_frames()
    {
        var worker = await DeployAsync();
        using var socket = await ConnectAsync(worker.Name, "/echo");

        Assert.Equal("hello", await ReceiveAsync(socket));
        await SendAsync(socket, "shout");
        Assert.Equal("SHOUT", await ReceiveAsync(socket));
        await socket.SendAsync(new byte[] { 1, 2, 255 }, WebSocketMessageType.Binary, endOfMessage: true, Timeout());
        Assert.Equal("bytes 0102FF", await ReceiveAsync(socket));

        // From 2026-04-07 the runtime answers the client's Close frame itself.
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Timeout());
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task An_objects_hibernatable_sockets_broadcast_by_tag_keep_attachments_answer_pings_without_its_code_and_hear_a_peer_leave()
    {
        var worker = await DeployAsync();
        using var alice = await ConnectAsync(worker.Name, "/rooms/lobby?name=alice");
        Assert.Equal("welcome alice to v1", await ReceiveAsync(alice));
        using var bob = await ConnectAsync(worker.Name, "/rooms/lobby?name=bob");
        Assert.Equal("welcome bob to v1", await ReceiveAsync(bob));

        await SendAsync(alice, "hello");
        Assert.Equal("alice: hello", await ReceiveAsync(alice));
        Assert.Equal("alice: hello", await ReceiveAsync(bob));

        await SendAsync(bob, "ping");
        Assert.Equal("pong", await ReceiveAsync(bob));
        await SendAsync(bob, "tags");
        Assert.Equal("""["bob","all"]""", await ReceiveAsync(bob));
        await SendAsync(bob, "who");
        Assert.Equal("bob on instance 1, 2 sockets, 1 named, stamp true", await ReceiveAsync(bob));
        await bob.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, endOfMessage: true, Timeout());
        Assert.Equal("bytes 030201", await ReceiveAsync(bob));

        await bob.CloseAsync((WebSocketCloseStatus)4000, "done", Timeout());
        Assert.Equal("bob left 4000 done true state 2", await ReceiveAsync(alice));
        var room = await worker.JsonAsync("/rooms/lobby?tag=alice");
        Assert.Equal(1, room.GetProperty("sockets").GetInt32());
        Assert.Equal(1, room.GetProperty("tagged").GetInt32());
    }

    [Fact]
    public async Task An_object_idle_past_the_grace_hibernates_and_its_next_frame_builds_it_again_with_sockets_and_attachments_intact()
    {
        var worker = await DeployAsync();
        using var alice = await ConnectAsync(worker.Name, "/rooms/sleepy?name=alice");
        Assert.Equal("welcome alice to v1", await ReceiveAsync(alice));
        using var bob = await ConnectAsync(worker.Name, "/rooms/sleepy?name=bob");
        Assert.Equal("welcome bob to v1", await ReceiveAsync(bob));
        await SendAsync(alice, "who");
        var before = await ReceiveAsync(alice);
        Assert.StartsWith("alice on instance ", before, StringComparison.Ordinal);
        var builtBefore = int.Parse(before.Split(' ')[3].TrimEnd(','), System.Globalization.CultureInfo.InvariantCulture);

        // Not yet: 9 s idle.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(9));
        await SendAsync(alice, "who");
        Assert.Equal($"alice on instance {builtBefore}, 2 sockets, 1 named, stamp false", await ReceiveAsync(alice));

        // Past the grace: the instance goes away, the sockets stay open.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(11));
        // The query API (dosim objects) reads it without waking it.
        var room = await Eventually.Until("the room to show as hibernated with its two sockets", TimeSpan.FromSeconds(10),
            async () => (await worker.ObjectsAsync()).SingleOrDefault(o => o.Name == "sleepy"), o => o is { State: "hibernated", Sockets: 2 });
        Assert.Null(room!.Silo);
        await SendAsync(bob, "who");
        Assert.Equal($"bob on instance {builtBefore + 1}, 2 sockets, 1 named, stamp false", await ReceiveAsync(bob));
        await SendAsync(alice, "still here");
        Assert.Equal("alice: still here", await ReceiveAsync(alice));
        Assert.Equal("alice: still here", await ReceiveAsync(bob));
        Assert.Equal(("idle", 2), await Eventually.Until("the room to show as in memory, nothing running", TimeSpan.FromSeconds(10),
            async () => (await worker.ObjectsAsync()).Where(o => o.Name == "sleepy").Select(o => (o.State, o.Sockets)).Single(), o => o.State == "idle"));
    }

    [Fact]
    public async Task A_standard_socket_keeps_its_object_awake_past_the_grace()
    {
        var worker = await DeployAsync();
        using var socket = await ConnectAsync(worker.Name, "/rooms/awake/standard");
        await SendAsync(socket, "a");
        var first = await ReceiveAsync(socket);
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(30));
        await SendAsync(socket, "b");
        Assert.Equal(first.Replace("echo:a", "echo:b", StringComparison.Ordinal), await ReceiveAsync(socket));
    }

    [Fact]
    public async Task A_reset_closes_every_socket_of_the_object_hibernated_ones_too_with_1012_and_the_platforms_text()
    {
        var worker = await DeployAsync();
        using var awake = await ConnectAsync(worker.Name, "/rooms/reset?name=awake");
        Assert.Equal("welcome awake to v1", await ReceiveAsync(awake));
        using var sleeper = await ConnectAsync(worker.Name, "/rooms/reset-sleeping?name=sleeper");
        Assert.Equal("welcome sleeper to v1", await ReceiveAsync(sleeper));
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(11));
        await Eventually.Until("the room to hibernate", TimeSpan.FromSeconds(10), () => ObjectStatus(worker, "reset-sleeping"), s => !s.IsActive);

        await worker.DeployAsync(JavaScriptWorkers.Draft("v2", Room("v2"), Config));

        Assert.Equal(ClosedByReset, await ReceiveAsync(awake));
        await SendAsync(sleeper, "hello?");
        Assert.Equal(ClosedByReset, await ReceiveAsync(sleeper));
        using var again = await ConnectAsync(worker.Name, "/rooms/reset?name=again");
        Assert.Equal("welcome again to v2", await ReceiveAsync(again));
    }

    [Fact]
    public async Task A_deferred_update_keeps_a_busy_rooms_socket_on_its_code_until_max_delay_and_closes_a_hibernated_rooms_when_it_wakes()
    {
        var worker = await DeployAsync();
        using var busy = await ConnectAsync(worker.Name, "/rooms/deferred-busy?name=busy");
        Assert.Equal("welcome busy to v1", await ReceiveAsync(busy));
        using var sleeper = await ConnectAsync(worker.Name, "/rooms/deferred-sleepy?name=sleeper");
        Assert.Equal("welcome sleeper to v1", await ReceiveAsync(sleeper));

        await worker.DeployAsync(JavaScriptWorkers.Draft("v2", Room("v2"), Config), Core.CodeUpdateStrategy.Parse("deferred=30s"));

        // The busy room talks on v1 every 5 s; the sleeper's room idles and hibernates.
        for (var elapsed = 5; elapsed < 30; elapsed += 5)
        {
            await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
            await SendAsync(busy, $"at {elapsed}");
            Assert.Equal($"busy: at {elapsed}", await ReceiveAsync(busy));
        }

        // At 30 s the busy room resets onto v2 without a frame from its client: its socket closes.
        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ClosedByReset, await ReceiveAsync(busy));

        // The hibernated room was not woken by the deploy (its socket is still open, on v1's room):
        // its next frame wakes it on v2, which closes its socket.
        var sleeping = await Listed.ObjectAsync(worker, "deferred-sleepy");
        Assert.Equal(("hibernated", 1), (sleeping.State, sleeping.Sockets));
        await SendAsync(sleeper, "anyone?");
        Assert.Equal(ClosedByReset, await ReceiveAsync(sleeper));
        using var again = await ConnectAsync(worker.Name, "/rooms/deferred-busy?name=again");
        Assert.Equal("welcome again to v2", await ReceiveAsync(again));
    }

    [Fact]
    public async Task Analytics_count_messages_per_version_and_sockets_closed_by_a_reset_and_each_hibernatable_event_is_traced()
    {
        var worker = await DeployAsync();
        var v1 = (await worker.HistoryAsync()).CurrentDeployment!.Versions.Single().VersionId;
        using var echo = await ConnectAsync(worker.Name, "/echo");
        Assert.Equal("hello", await ReceiveAsync(echo));
        await SendAsync(echo, "shout");
        Assert.Equal("SHOUT", await ReceiveAsync(echo));

        using var alice = await ConnectAsync(worker.Name, "/rooms/counted?name=alice");
        Assert.Equal("welcome alice to v1", await ReceiveAsync(alice));
        using var bob = await ConnectAsync(worker.Name, "/rooms/counted?name=bob");
        Assert.Equal("welcome bob to v1", await ReceiveAsync(bob));
        await SendAsync(alice, "hello");
        Assert.Equal("alice: hello", await ReceiveAsync(alice));
        Assert.Equal("alice: hello", await ReceiveAsync(bob));
        await SendAsync(bob, "ping");
        Assert.Equal("pong", await ReceiveAsync(bob));
        await bob.CloseAsync((WebSocketCloseStatus)4000, "done", Timeout());
        Assert.Equal("bob left 4000 done true state 2", await ReceiveAsync(alice));

        await worker.DeployAsync(JavaScriptWorkers.Draft("v2", Room("v2"), Config));
        Assert.Equal(ClosedByReset, await ReceiveAsync(alice));

        // In: alice's hello and bob's ping (answered by the auto-response, still a message in).
        // Out (delivered to the gateway): two welcomes, the broadcast to both, the pong, and "bob left". Closed by the reset: alice's, on v1.
        // (A message counts out once its gateway has it, which the client may see a moment before the count.)
        var expected = new[] { new SocketCounters(null, v1, 1, 2, 0), new SocketCounters("Room", v1, 2, 6, 1) };
        var sockets = await Eventually.Until("the socket counts", TimeSpan.FromSeconds(10), async () => (await worker.AnalyticsAsync()).Sockets, s => s.SequenceEqual(expected));
        Assert.Equal(expected, sockets);

        // The object's code ran for alice's message and bob's close (not for the ping): one event each.
        var traced = new List<TraceEvent>();
        await foreach (var e in worker.TailAsync(new TailFilter { Follow = false }, Timeout()))
        {
            traced.Add(e);
        }

        var events = traced.Where(e => e.EventType == "hibernatable_web_socket").Select(e => e.Event.WebSocketEvent).ToList();
        Assert.Equal([new TraceWebSocketEvent("message"), new TraceWebSocketEvent("close", 4000, true)], events);
        Assert.All(traced.Where(e => e.EventType == "hibernatable_web_socket"), e => Assert.Equal(("Room", v1), (e.Entrypoint, e.ScriptVersion.Id)));
        Assert.Contains("\"getWebSocketEvent\":{\"webSocketEventType\":\"close\",\"code\":4000,\"wasClean\":true}", JsonSerializer.Serialize(traced.Last(e => e.EventType == "hibernatable_web_socket")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_socket_apis_refuse_what_the_platform_refuses_with_its_words()
    {
        var worker = await DeployAsync();
        var errors = await worker.JsonAsync("/errors");
        Assert.Equal("TypeError: You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.", errors.GetProperty("sendBeforeAccept").GetString());
        Assert.Equal("InvalidAccessError: Invalid WebSocket close code: 1005.", errors.GetProperty("code1005").GetString());
        Assert.Equal("InvalidAccessError: Invalid WebSocket close code: 999.", errors.GetProperty("code999").GetString());
        Assert.Equal("InvalidAccessError: If you specify a WebSocket close reason, you must also specify a code.", errors.GetProperty("reasonWithoutCode").GetString());
        Assert.Equal("SyntaxError: WebSocket close reason must not be longer than 123 bytes when UTF-8 encoded.", errors.GetProperty("longReason").GetString());
        Assert.Equal("TypeError: Can't return WebSocket in a Response after calling accept().", errors.GetProperty("responseAfterAccept").GetString());
        Assert.Equal("TypeError: Can't call WebSocket send() after close().", errors.GetProperty("closeThenSend").GetString());
        Assert.Equal("ok", errors.GetProperty("doubleClose").GetString());
        Assert.Equal("RangeError: Responses with a WebSocket must have status code 101.", errors.GetProperty("wrongStatus").GetString());
        Assert.Equal("TypeError: Can't return WebSocket that was already used in a response.", errors.GetProperty("reused").GetString());
        Assert.Equal("TypeError: Can't accept() WebSocket that was already used in a response.", errors.GetProperty("acceptReleased").GetString());
        Assert.Equal("[0,1,2,3,1]", errors.GetProperty("readyStates").GetRawText());
        Assert.Contains("not simulated by dosim", errors.GetProperty("outbound").GetString(), StringComparison.Ordinal);

        var other = await DeployAsync("errors", ObjectErrors);
        var inObject = await other.JsonAsync("/");
        Assert.Equal("Error: Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`", inObject.GetProperty("acceptAfterAccept").GetString());
        Assert.Equal("Error: a Hibernatable WebSocket cannot have more than 10 tags", inObject.GetProperty("tooManyTags").GetString());
        Assert.Equal($"Error: \"{new string('t', 257)}\" is longer than the max tag length (256 characters).", inObject.GetProperty("longTag").GetString());
        Assert.Equal("Error: only hibernatable websockets can have tags.", inObject.GetProperty("tagsOfStandard").GetString());
        Assert.StartsWith("Error: A WebSocket 'attachment' cannot be larger than 16384 bytes.'attachment' was ", inObject.GetProperty("bigAttachment").GetString(), StringComparison.Ordinal);
        Assert.Equal("TypeError: Can't accept() WebSocket after enabling hibernation.", inObject.GetProperty("acceptAfterHibernation").GetString());
        Assert.Equal("TypeError: Can't return WebSocket in a Response after calling acceptWebSocket().", inObject.GetProperty("responseAfterAcceptWebSocket").GetString());
        Assert.Equal("RangeError: Request cannot be larger than 2048 bytes. A request of size 2049 was provided.", inObject.GetProperty("bigAutoResponse").GetString());
        Assert.Equal("Error: Event timeout should not exceed 604800000 ms.", inObject.GetProperty("eventTimeout").GetString());
        Assert.Equal(5000, inObject.GetProperty("eventTimeoutSet").GetInt32());
        Assert.Equal("b", inObject.GetProperty("autoResponse").GetString());
        Assert.Equal(2, inObject.GetProperty("listed").GetInt32());
        Assert.Equal(JsonValueKind.Null, inObject.GetProperty("attachmentNone").ValueKind);
    }

    [Fact]
    public async Task What_a_socket_handler_returns_is_ignored_as_the_platform_ignores_it_even_a_value_no_clone_could_carry()
    {
        var worker = await DeployAsync("values", ReturnsValues);
        using var socket = await ConnectAsync(worker.Name, "/");

        await SendAsync(socket, "one");
        Assert.Equal("got one", await ReceiveAsync(socket));
        await SendAsync(socket, "thenable");
        Assert.Equal("got thenable", await ReceiveAsync(socket));
        Assert.Equal("thenable settled", await ReceiveAsync(socket));
        await SendAsync(socket, "two");
        Assert.Equal("got two", await ReceiveAsync(socket));
        await socket.CloseAsync((WebSocketCloseStatus)4000, "done", Timeout());
        Assert.Equal((WebSocketCloseStatus)4000, socket.CloseStatus);

        // Each event ran to its end: none is an exception for what its handler returned.
        var outcomes = await Eventually.Until("the four events traced", TimeSpan.FromSeconds(10), async () =>
        {
            var traced = new List<TraceEvent>();
            await foreach (var e in worker.TailAsync(new TailFilter { Follow = false }, Timeout()))
            {
                traced.Add(e);
            }

            return traced.Where(e => e.EventType == "hibernatable_web_socket").Select(e => e.Outcome).ToList();
        }, o => o.Count == 4);
        Assert.Equal(["ok", "ok", "ok", "ok"], outcomes);
    }

    [Fact]
    public async Task A_frame_that_wakes_an_object_reaches_the_handler_its_constructors_block_installed()
    {
        var worker = await DeployAsync("blocked", BlockedHandler);
        using var socket = await ConnectAsync(worker.Name, "/");
        await SendAsync(socket, "a");
        Assert.Equal("instance 1: a", await ReceiveAsync(socket));

        await fixture.Cluster.AdvanceAsync(TimeSpan.FromSeconds(11));
        await Eventually.Until("the room to hibernate", TimeSpan.FromSeconds(10),
            async () => (await worker.ObjectsAsync()).SingleOrDefault(o => o.Name == "blocked"), o => o is { State: "hibernated" });

        // The frame builds the instance again: its handler is read once the constructor's block is done.
        await SendAsync(socket, "b");
        Assert.Equal("instance 2: b", await ReceiveAsync(socket));
    }

    private Task<DurableObjectStatus> ObjectStatus(WorkerHandle worker, string room) =>
        fixture.Cluster.Client.GetGrain<IDurableObjectGrain>(DurableObjectKey.Format(worker.Name, "Room", Simulator.Core.DurableObjectId.FromName("Room", room))).GetStatus();
}
