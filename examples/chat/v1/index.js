// A chat room per name, written as Durable Objects are written today: a SQLite-backed class
// (new_sqlite_classes), called over JS RPC, that prunes old messages with an alarm.
import { DurableObject } from "cloudflare:workers";

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

export class ChatRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)");
  }

  async post(author, body) {
    const at = Date.now();
    const { id } = this.ctx.storage.sql.exec("INSERT INTO messages (author, body, at) VALUES (?, ?, ?) RETURNING id", author, body, at).one();
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(at + HOUR);
    return { id, room: this.ctx.id.name, version: this.env.VERSION.tag };
  }

  history(limit = 20) {
    const messages = this.ctx.storage.sql.exec("SELECT * FROM messages ORDER BY id DESC LIMIT ?", limit).toArray().reverse();
    return { room: this.ctx.id.name, version: this.env.VERSION.tag, messages };
  }

  // Every hour: forget what is older than a day; keep the alarm while there is anything left.
  async alarm(info) {
    const pruned = this.ctx.storage.sql.exec("DELETE FROM messages WHERE at < ?", Date.now() - DAY).rowsWritten;
    console.log(`pruned ${pruned} messages (retry ${info.retryCount})`);
    if (this.ctx.storage.sql.exec("SELECT count(*) AS n FROM messages").one().n > 0) await this.ctx.storage.setAlarm(Date.now() + HOUR);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, rooms, name, messages] = url.pathname.split("/");
    if (rooms !== "rooms" || !name || messages !== "messages") return new Response("try /rooms/<name>/messages\n", { status: 404 });
    const room = env.ROOMS.getByName(name);
    if (request.method === "POST") {
      return Response.json(await room.post(url.searchParams.get("author") ?? "anonymous", await request.text()), { status: 201 });
    }
    return Response.json(await room.history(Number(url.searchParams.get("limit") ?? 20)));
  },
};
