// Requests/s of one Worker (examples/counter, or scripts/bench-rpc-sqlite) served by the platform's
// runtime (workerd) and by dosim's gateway (a silo started by scripts/bench-vs-workerd.sh), with one
// HTTP load client (autocannon), the same concurrency and the same 1,000 objects, alternating
// which goes first. Each server is first warmed up with the same load for the same time, not
// counted: .NET compiles Jint's interpreter to optimized code only after it has run a while (tiered
// compilation), so dosim's first seconds are several times slower than its steady state.
// Usage: node scripts/bench-vs-workerd.mjs <workerd-port> <dosim-port> [seconds] [rounds] [warm-up seconds] [worker name] [its directory]
import { createRequire } from "node:module";
const require = createRequire(new URL("../.tools/node_modules/", import.meta.url));
const autocannon = require("autocannon");

const [workerdPort, dosimPort, seconds = "10", rounds = "4", warmup = "15", name = "counter", directory = "examples/counter"] = process.argv.slice(2);
const host = `${name}.localhost`;
const run = (port, host, duration = Number(seconds)) => new Promise((resolve, reject) => {
  let i = 0;
  autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 64,
    duration,
    headers: { host },
    requests: [{ setupRequest: (request) => ({ ...request, path: `/obj-${i++ % 1000}` }) }],
  }, (error, result) => (error ? reject(error) : resolve(result)));
});

for (const [who, port] of [["workerd", workerdPort], ["dosim", dosimPort]]) {
  const result = await run(port, host, Number(warmup));
  console.log(`  warm-up, ${warmup}s: ${who} ${result.requests.average.toFixed(0)} requests/s (not counted)`);
}

const rows = [];
for (let round = 1; round <= Number(rounds); round++) {
  const order = round % 2 === 1 ? ["workerd", "dosim"] : ["dosim", "workerd"];
  const rates = {};
  for (const who of order) {
    const result = who === "workerd" ? await run(workerdPort, host) : await run(dosimPort, host);
    rates[who] = result.requests.average;
    if (result.non2xx > 0 || result.errors > 0) console.log(`  ${who}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  rows.push(rates.dosim / rates.workerd);
  console.log(`  round ${round}: dosim ${rates.dosim.toFixed(0)} requests/s, workerd ${rates.workerd.toFixed(0)} requests/s, ratio ${(rates.dosim / rates.workerd).toFixed(2)}`);
}
rows.sort((a, b) => a - b);
const median = rows.length % 2 ? rows[(rows.length - 1) / 2] : (rows[rows.length / 2 - 1] + rows[rows.length / 2]) / 2;
console.log(`${directory} through dosim's gateway / workerd: median ratio ${median.toFixed(2)} (target ${name === "counter" ? "1.0" : "1.5"} or better)`);
