// v2 of the chat: messages can be liked. The table gets a column (added when a room first runs
// v2's code), and the room an RPC method, like(). A v2 Worker that calls like() on a room still on
// v1 during a gradual rollout meets the platform's TypeError: the v1 room has no such method.
import { DurableObject } from "cloudflare:workers";

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

export class ChatRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)");
    const columns = ctx.storage.sql.exec("PRAGMA table_info(messages)").toArray().map((c) => c.name);
    if (!columns.includes("likes")) ctx.storage.sql.exec("ALTER TABLE messages ADD COLUMN likes INTEGER NOT NULL DEFAULT 0");
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

  like(id) {
    const cursor = this.ctx.storage.sql.exec("UPDATE messages SET likes = likes + 1 WHERE id = ? RETURNING likes", id);
    const row = cursor.toArray()[0];
    if (!row) throw new RangeError(`No message ${id} in room ${this.ctx.id.name}.`);
    return { id, likes: row.likes, version: this.env.VERSION.tag };
  }

  async alarm(info) {
    const pruned = this.ctx.storage.sql.exec("DELETE FROM messages WHERE at < ?", Date.now() - DAY).rowsWritten;
    console.log(`pruned ${pruned} messages (retry ${info.retryCount})`);
    if (this.ctx.storage.sql.exec("SELECT count(*) AS n FROM messages").one().n > 0) await this.ctx.storage.setAlarm(Date.now() + HOUR);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, rooms, name, messages, id, like] = url.pathname.split("/");
    if (rooms !== "rooms" || !name || messages !== "messages") return new Response("try /rooms/<name>/messages\n", { status: 404 });
    const room = env.ROOMS.getByName(name);
    if (request.method === "POST" && id && like === "like") {
      try {
        return Response.json(await room.like(Number(id)));
      } catch (e) {
        // The rollout's skew, made visible: a v1 room has no like().
        return Response.json({ error: `${e.name}: ${e.message}`, remote: e.remote ?? false, worker: env.VERSION.tag }, { status: 502 });
      }
    }
    if (request.method === "POST") {
      return Response.json(await room.post(url.searchParams.get("author") ?? "anonymous", await request.text()), { status: 201 });
    }
    return Response.json(await room.history(Number(url.searchParams.get("limit") ?? 20)));
  },
};
