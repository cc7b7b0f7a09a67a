// A command-line client for the live-chat room (Node 22, whose WebSocket is built in):
//   node chat.mjs ws://live-chat.localhost:8787/rooms/lobby/ws?name=ann [message ...]
// prints what the room sends (one line per event), sends each message once greeted, and stays
// until the room closes the socket, or for --seconds N (default 2) after the last message.
// Node does not resolve *.localhost as browsers and curl do, and its built-in WebSocket will not
// send another Host: this client speaks the protocol (RFC 6455) itself over node:http, reaching such
// a host on 127.0.0.1 with the name in the Host header the gateway routes by.
import http from "node:http";
import crypto from "node:crypto";
const args = process.argv.slice(2);
const seconds = args.includes("--seconds") ? Number(args.splice(args.indexOf("--seconds"), 2)[1]) : 2;
const [address, ...messages] = args;
if (!address) {
  console.error("usage: node chat.mjs ws://<worker>.localhost:<port>/rooms/<room>/ws?name=<you> [message ...] [--seconds N]");
  process.exit(2);
}

const socket = await connect(new URL(address));
let timer;
const leaveLater = () => { clearTimeout(timer); timer = setTimeout(() => socket.close(1000, "bye"), seconds * 1000); };
let welcomed = false;
// A room that never greets (an error on its side) does not leave the client waiting forever.
timer = setTimeout(() => { console.error("no greeting from the room in 20 s"); process.exit(1); }, 20000);
socket.addEventListener("message", (event) => {
  const data = String(event.data);
  let line = data;
  try {
    const e = JSON.parse(data);
    line = e.type === "welcome" ? `welcome: version ${e.version}, ${e.online} online, history [${e.history.map((m) => `${m.author}: ${m.text}`).join(" | ")}]`
      : e.type === "message" ? `${e.author ?? "someone"}: ${e.text}`
      : e.type === "joined" || e.type === "left" ? `${e.name} ${e.type}${e.code ? ` (${e.code})` : ""}`
      : data;
  } catch {
    // Not JSON ("pong"): printed as it is.
  }
  console.log(line);
  // The room's first message greets the client: then it speaks.
  if (!welcomed) {
    welcomed = true;
    for (const m of messages) socket.send(m);
    leaveLater();
  }
});
socket.addEventListener("close", (event) => {
  console.log(`closed ${event.code} ${event.reason}`);
  clearTimeout(timer);
});
socket.addEventListener("error", () => { console.error(`could not connect to ${address}`); process.exit(1); });

// A minimal WebSocket: text messages, close, and pongs for pings; the same events as the browser's.
function connect(url) {
  const listeners = { message: [], close: [], error: [] };
  const emit = (type, event) => listeners[type].forEach((fn) => fn(event));
  return new Promise((resolve) => {
    const request = http.request({
      host: url.hostname.endsWith(".localhost") ? "127.0.0.1" : url.hostname,
      port: url.port || 80,
      path: url.pathname + url.search,
      headers: { host: url.host, connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": crypto.randomBytes(16).toString("base64") },
    });
    const client = {
      addEventListener: (type, fn) => listeners[type].push(fn),
      send: (text) => net.write(frame(0x1, Buffer.from(String(text)))),
      close: (code, reason) => { const body = Buffer.alloc(2); body.writeUInt16BE(code); net.write(frame(0x8, Buffer.concat([body, Buffer.from(reason)]))); },
    };
    let net;
    request.on("error", () => { resolve(client); setImmediate(() => emit("error", {})); });
    request.on("response", () => { resolve(client); setImmediate(() => emit("error", {})); });
    request.on("upgrade", (_, socket, head) => {
      net = socket;
      // The first frames may have come in with the 101 (head): they are read first, once the
      // caller has its listeners on.
      let buffered = Buffer.from(head);
      let closed = false;
      const read = (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2) {
          const opcode = buffered[0] & 0x0f;
          let length = buffered[1] & 0x7f;
          let offset = 2;
          if (length === 126) { if (buffered.length < 4) return; length = buffered.readUInt16BE(2); offset = 4; }
          if (length === 127) { if (buffered.length < 10) return; length = Number(buffered.readBigUInt64BE(2)); offset = 10; }
          if (buffered.length < offset + length) return;
          const payload = buffered.subarray(offset, offset + length);
          buffered = buffered.subarray(offset + length);
          if (opcode === 0x1) emit("message", { data: payload.toString() });
          if (opcode === 0x9) socket.write(frame(0xa, payload));
          if (opcode === 0x8 && !closed) {
            closed = true;
            const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
            socket.end(frame(0x8, payload.subarray(0, 2)));
            emit("close", { code, reason: payload.subarray(2).toString() });
          }
        }
      };
      socket.on("data", read);
      setImmediate(() => read(Buffer.alloc(0)));
      socket.on("close", () => { if (!closed) { closed = true; emit("close", { code: 1006, reason: "" }); } });
      resolve(client);
    });
    request.end();
  });
}

// A client's frame: final, masked as the protocol requires.
function frame(opcode, payload) {
  const mask = crypto.randomBytes(4);
  const head = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
    : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([head, mask, masked]);
}
