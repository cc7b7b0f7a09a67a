// A chat room on partyserver, the library under the platform's chat template and its agents SDK:
// one room per Durable Object, hibernating between messages, its history in SQLite, each message
// broadcast to the room. Nothing here knows about dosim.
import { routePartykitRequest, Server } from "partyserver";

export class Chat extends Server {
  static options = { hibernate: true };

  onStart() {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, author TEXT, text TEXT)");
  }

  // The same events as examples/live-chat, so its chat.mjs prints them.
  onConnect(connection, ctx) {
    const name = new URL(ctx.request.url).searchParams.get("name") ?? "anonymous";
    connection.setState({ name });
    const history = this.ctx.storage.sql.exec("SELECT author, text FROM messages ORDER BY id").toArray();
    connection.send(JSON.stringify({ type: "welcome", room: this.name, version: this.env.VERSION, online: [...this.getConnections()].length, history }));
    this.broadcast(JSON.stringify({ type: "joined", name }), [connection.id]);
  }

  onMessage(connection, message) {
    const { name } = connection.state;
    this.ctx.storage.sql.exec("INSERT INTO messages (author, text) VALUES (?, ?)", name, String(message));
    this.broadcast(JSON.stringify({ type: "message", author: name, text: String(message) }));
  }

  onClose(connection, code) {
    this.broadcast(JSON.stringify({ type: "left", name: connection.state?.name, code }), [connection.id]);
  }
}

export default {
  async fetch(request, env) {
    return (await routePartykitRequest(request, env)) ?? new Response("Not found: rooms are at /parties/chat/<room>", { status: 404 });
  },
};
