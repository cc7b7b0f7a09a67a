// The quick start's counter, in JavaScript: /<name> goes to the Counter object idFromName(name).
// Each object counts requests in memory (lost when the object resets) and in durable storage
// (kept across resets), so a reset shows in its answers.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  inMemory = 0;

  async fetch(request) {
    this.inMemory++;
    const durable = ((await this.ctx.storage.get("count")) ?? 0) + 1;
    await this.ctx.storage.put("count", durable);
    console.log(`${this.ctx.id.name ?? this.ctx.id} counted ${durable}`);
    return Response.json({
      name: this.ctx.id.name ?? null,
      id: this.ctx.id.toString(),
      version: this.env.CF_VERSION_METADATA.id,
      tag: this.env.CF_VERSION_METADATA.tag,
      inMemory: this.inMemory,
      durable,
    });
  }
}

export default {
  async fetch(request, env) {
    const name = decodeURIComponent(new URL(request.url).pathname.slice(1));
    if (!name) {
      return new Response("Name a counter in the path: /<name>, e.g. /foo\n", { status: 400 });
    }
    return env.COUNTER.get(env.COUNTER.idFromName(name)).fetch(request);
  },
};
