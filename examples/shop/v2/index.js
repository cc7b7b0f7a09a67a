// v2 of the shop. Its stored format changed: a cart line is now "item:<sku>" = { quantity, addedBy }.
// A shop with two Durable Object classes: each Cart holds a customer's items, the Stock object
// counts what is left. A service binding (PRICES) prices items; the version metadata binding
// stamps what each object stored. v2 stores { quantity, addedBy } and still reads v1's plain numbers.
import { DurableObject } from "cloudflare:workers";

export class Cart extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    const sku = url.searchParams.get("sku");
    if (request.method === "POST" && sku) {
      const line = await this.ctx.storage.get(`item:${sku}`);
      const quantity = (typeof line === "number" ? line : line?.quantity ?? 0) + 1;
      await this.ctx.storage.put(`item:${sku}`, { quantity, addedBy: this.env.VERSION.id });
      await this.ctx.storage.put("written-by", this.env.VERSION.tag);
      const stock = this.env.STOCK.get(this.env.STOCK.idFromName(sku));
      await stock.fetch("https://stock/take", { method: "POST" });
    }
    const lines = [];
    for (const [key, quantity] of await this.ctx.storage.list({ prefix: "item:" })) {
      lines.push({ sku: key.slice(5), quantity: typeof quantity === "number" ? quantity : quantity.quantity });
    }
    const priced = await (await this.env.PRICES.fetch("https://prices/quote", { method: "POST", body: JSON.stringify(lines) })).json();
    return Response.json({ version: this.env.VERSION.tag, writtenBy: (await this.ctx.storage.get("written-by")) ?? null, lines: priced });
  }
}

export class Stock extends DurableObject {
  async fetch(request) {
    const taken = ((await this.ctx.storage.get("taken")) ?? 0) + (request.method === "POST" ? 1 : 0);
    await this.ctx.storage.put("taken", taken);
    return Response.json({ taken });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, kind, name] = url.pathname.split("/");
    if (kind === "cart" && name) return env.CARTS.get(env.CARTS.idFromName(name)).fetch(request);
    if (kind === "stock" && name) return env.STOCK.get(env.STOCK.idFromName(name)).fetch(request);
    return new Response("GET or POST /cart/<customer>?sku=<sku>, GET /stock/<sku>\n", { status: 404 });
  },
};
