// The second Worker of scripts/bench-vs-workerd.sh, written as the platform's templates write Durable
// Objects today: the Worker calls its object over JS RPC, and the object keeps its data in SQLite.
// /<name> goes to the Room named <name>; each request adds a row and answers the room's count.
import { DurableObject } from "cloudflare:workers";

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS visits (id INTEGER PRIMARY KEY, at INTEGER)");
  }

  visit() {
    this.sql.exec("INSERT INTO visits (at) VALUES (?)", Date.now());
    return this.sql.exec("SELECT count(*) AS n FROM visits").one().n;
  }
}

export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.slice(1) || "room";
    return Response.json({ visits: await env.ROOM.getByName(name).visit() });
  },
};
