// One bundle, run by the platform's own runtime (workerd) and by dosim; the differential test
// sends both the same requests and compares status, the headers that matter and the bodies.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  inMemory = 0;

  async fetch(request) {
    const url = new URL(request.url);
    const storage = this.ctx.storage;
    if (url.pathname.startsWith("/count/")) {
      this.inMemory++;
      const durable = ((await storage.get("count")) ?? 0) + 1;
      await storage.put("count", durable);
      return Response.json({ name: this.ctx.id.name, inMemory: this.inMemory, durable });
    }
    if (url.pathname.startsWith("/memory/")) {
      // In memory only: workerd's in-memory storage, unlike the platform's, goes with the instance.
      this.inMemory++;
      return Response.json({ name: this.ctx.id.name, inMemory: this.inMemory });
    }
    if (url.pathname.startsWith("/list/")) {
      await storage.put({ "item:b": { n: 2 }, "item:a": [1, "one"], "other": true, "item:c": null });
      const keys = async (options) => [...(await storage.list(options)).entries()];
      const result = {
        all: await keys(),
        prefix: await keys({ prefix: "item:" }),
        range: await keys({ start: "item:b", end: "other" }),
        reverse: await keys({ reverse: true, limit: 2 }),
        many: [...(await storage.get(["item:a", "missing", "other"])).entries()],
        deleted: await storage.delete(["item:a", "missing"]),
      };
      await storage.deleteAll();
      result.after = await keys();
      return Response.json(result);
    }
    return new Response("no such object route\n", { status: 404 });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, route, arg] = url.pathname.split("/");
    switch (route) {
      case "count":
      case "memory":
      case "list":
        return env.COUNTER.get(env.COUNTER.idFromName(arg)).fetch(request);
      case "echo": {
        const params = new URLSearchParams(url.search);
        params.append("added", "a b&c");
        return Response.json({
          method: request.method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          params: params.toString(),
          header: request.headers.get("x-test"),
          body: request.method === "POST" ? await request.text() : null,
        });
      }
      case "bytes": {
        const bytes = new Uint8Array(await request.arrayBuffer());
        return new Response(bytes.map((b) => 255 - b), { headers: { "content-type": "application/octet-stream" } });
      }
      case "redirect":
        return Response.redirect("https://example.com/elsewhere?x=1", 307);
      case "status":
        return new Response("gone fishing\n", { status: 404, headers: { "x-reason": "fishing" } });
      case "late": {
        // A header set by microtasks still running when the handler returns.
        const response = new Response("late\n", { status: 202 });
        (async () => { await null; await null; response.headers.set("x-reason", "set after return"); })();
        return response;
      }
      case "apis": {
        const encoded = new TextEncoder().encode("héllo, wörld €");
        const blob = new Blob(["héllo ", new Uint8Array([65, 66]), new Blob(["!?"])], { type: "Text/Plain" });
        const fromBlob = new Response(blob);
        return Response.json({
          blob: { size: blob.size, type: blob.type, text: await blob.text(), slice: await blob.slice(-3, -1).text(), tag: String(blob), bytes: [...await blob.slice(0, 2).bytes()] },
          responseOfBlob: { type: fromBlob.headers.get("content-type"), body: await (await fromBlob.blob()).text() },
          encodedLength: encoded.length,
          decoded: new TextDecoder().decode(encoded),
          b64: btoa("dosim:workerd"),
          unb64: atob("ZG9zaW0="),
          clone: structuredClone({ a: [1, { b: 2 }], d: "x" }),
          url: new URL("../up/here?q=1#frag", "https://host.example/a/b/c").href,
          statusText: new Response(null, { status: 201 }).statusText,
          headers: [...new Headers({ "B-Header": "2", "a-header": "1" })],
          json: JSON.parse(JSON.stringify({ n: 1.5, s: "two", l: [true, null] })),
          id: env.COUNTER.idFromName("foo").toString().length,
        });
      }
      default:
        return new Response("routes: /count/<name>, /list/<name>, /echo, /bytes, /redirect, /status, /late, /apis\n", { status: 400 });
    }
  },
};
