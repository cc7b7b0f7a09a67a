// A real-time chat room per Durable Object, on the hibernation API: the room keeps its history in
// SQLite, tags each socket with its user's name, keeps the name in the socket's attachment (so it
// survives hibernation), and answers "ping" without waking.
import { DurableObject } from "cloudflare:workers";

export class ChatRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, author TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL)");
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  async fetch(request) {
    const name = (new URL(request.url).searchParams.get("name") || "anonymous").slice(0, 32);
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server, [name]);
    server.serializeAttachment({ name });
    const history = this.ctx.storage.sql.exec("SELECT author, text, at FROM messages ORDER BY id DESC LIMIT 50").toArray().reverse();
    const online = this.ctx.getWebSockets().length;
    server.send(JSON.stringify({ type: "welcome", version: this.env.VERSION.tag || this.env.VERSION.id, history, online }));
    this.broadcast({ type: "joined", name, online }, server);
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws, message) {
    const { name } = ws.deserializeAttachment();
    const text = String(message).slice(0, 1000);
    const at = Date.now();
    this.ctx.storage.sql.exec("INSERT INTO messages (author, text, at) VALUES (?, ?, ?)", name, text, at);
    this.broadcast({ type: "message", author: name, text, at });
  }

  async webSocketClose(ws, code) {
    const { name } = ws.deserializeAttachment();
    this.broadcast({ type: "left", name, code, online: this.ctx.getWebSockets().length - 1 }, ws);
    // The runtime does not answer a hibernatable socket's Close frame: the object does.
    ws.close(1000, "bye");
  }

  broadcast(event, except) {
    const data = JSON.stringify(event);
    for (const ws of this.ctx.getWebSockets()) {
      if (ws !== except && ws.readyState === WebSocket.READY_STATE_OPEN) ws.send(data);
    }
  }
}

export default {
  async fetch(request, env) {
    const match = new URL(request.url).pathname.match(/^\/rooms\/([a-z0-9-]{1,32})\/ws$/);
    if (!match) return env.ASSETS.fetch(request);
    if (request.headers.get("Upgrade") !== "websocket") return new Response("Expected a WebSocket upgrade.\n", { status: 426 });
    return env.ROOMS.get(env.ROOMS.idFromName(match[1])).fetch(request);
  },
};
