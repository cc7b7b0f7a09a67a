// The same conversations in workerd and in dosim: a Worker's own socket on the standard API, and a
// room on the hibernation API (tags, attachments, the auto-response, the handlers), with errors.
import { DurableObject } from "cloudflare:workers";

const attempt = (f) => {
  try {
    f();
    return "ok";
  } catch (e) {
    return `${e.name}: ${e.message}`;
  }
};

const pair = () => Object.values(new WebSocketPair());

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  async fetch(request) {
    if (request.headers.get("Upgrade") !== "websocket") {
      return new Response("expected a websocket", { status: 426 });
    }
    const name = new URL(request.url).searchParams.get("name");
    const [client, server] = pair();
    this.ctx.acceptWebSocket(server, [name, "all"]);
    server.serializeAttachment({ name, messages: 0 });
    server.send(`welcome ${name}, ${this.ctx.getWebSockets().length} here, state ${server.readyState}`);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws, message) {
    const seen = ws.deserializeAttachment();
    seen.messages++;
    ws.serializeAttachment(seen);
    if (typeof message !== "string") {
      ws.send(new Uint8Array(message).reverse());
      return;
    }
    if (message === "tags") {
      ws.send(JSON.stringify(this.ctx.getTags(ws)));
      return;
    }
    if (message === "stamp") {
      ws.send(`auto-response stamp: ${this.ctx.getWebSocketAutoResponseTimestamp(ws) instanceof Date}`);
      return;
    }
    if (message.startsWith("to:")) {
      const [, tag, text] = message.split(":");
      for (const other of this.ctx.getWebSockets(tag)) other.send(`${seen.name} whispers ${text}`);
      return;
    }
    if (message === "errors") {
      ws.send(JSON.stringify([
        attempt(() => pair()[1].send("early")),
        attempt(() => { const [, s] = pair(); s.accept(); s.close(1005); }),
        attempt(() => { const [, s] = pair(); s.accept(); s.close(1000, "x".repeat(124)); }),
        attempt(() => { const [, s] = pair(); s.accept(); s.close(undefined, "why"); }),
        attempt(() => { const [, s] = pair(); s.accept(); s.close(1000); s.send("late"); }),
        attempt(() => { const [, s] = pair(); s.accept(); this.ctx.acceptWebSocket(s); }),
        attempt(() => ws.serializeAttachment("x".repeat(20000))),
        attempt(() => new Response(null, { status: 200, webSocket: pair()[0] })),
        attempt(() => new Response(null, { status: 101 })),
        ws.deserializeAttachment().name,
      ]));
      return;
    }
    if (message === "thenable") {
      // What a handler returns is no one's: a thenable is followed, and what it settles with (a
      // function, which no clone could carry) is no error; the next message is answered as ever.
      return { then: (resolve) => { ws.send(`thenable followed, ${this.ctx.getWebSockets().length} here`); resolve(() => "a function"); } };
    }
    if (message === "bye") {
      ws.close(4001, "asked to leave");
      return;
    }
    for (const other of this.ctx.getWebSockets("all")) other.send(`${seen.name} #${seen.messages}: ${message}`);
  }

  async webSocketClose(ws, code, reason, wasClean) {
    const { name, messages } = ws.deserializeAttachment();
    const state = ws.readyState;
    for (const other of this.ctx.getWebSockets()) {
      if (other !== ws) other.send(`${name} left: ${code} ${reason} ${wasClean} after ${messages} messages, state ${state}, ${this.ctx.getWebSockets().length} listed`);
    }
    // The runtime does not answer a hibernatable socket's Close: the code does.
    ws.close(code, `bye ${name}`);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/echo") {
      if (request.headers.get("Upgrade") !== "websocket") {
        return new Response("expected a websocket", { status: 426 });
      }
      const [client, server] = pair();
      server.accept();
      let count = 0;
      server.addEventListener("message", async (event) => {
        count++;
        if (event.data instanceof Blob) {
          server.send(`a Blob of ${event.data.size} bytes, binaryType ${server.binaryType}`);
          server.send(await event.data.arrayBuffer());
        } else if (event.data instanceof ArrayBuffer) {
          server.send(new Uint8Array(event.data).reverse());
        } else if (event.data === "arraybuffer") {
          server.binaryType = "nonsense";
          server.binaryType = "arraybuffer";
          server.send(`binaryType ${server.binaryType}`);
        } else if (event.data === "close") {
          server.close(4000, `closing after ${count}`);
        } else {
          server.send(`echo ${event.data} (${count}, state ${server.readyState})`);
        }
      });
      server.send(`ready, state ${server.readyState}`);
      return new Response(null, { status: 101, webSocket: client });
    }
    if (url.pathname.startsWith("/rooms/")) {
      return env.ROOM.get(env.ROOM.idFromName(url.pathname.split("/")[2])).fetch(request);
    }
    return new Response("not found", { status: 404 });
  }
};
