#!/usr/bin/env bash
# The JS counter (examples/counter) in workerd and in dosim, loaded by autocannon (see the .mjs).
# Usage: scripts/bench-vs-workerd.sh [seconds per round] [rounds] [warm-up seconds per server]
# Needs a Release build (dotnet build -c Release) and, in .tools, workerd and autocannon:
#   npm install --prefix .tools workerd@1.20261117.1 autocannon@9.0.0
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${2:-4}
warmup=${3:-15}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wd_port=$(free_port); http=$(free_port); silo=$(free_port); gateway=$(free_port)

cp examples/counter/index.js "$work/index.js"
cat > "$work/config.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:$wd_port", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "index.js") ],
  compatibilityDate = "2025-09-01",
  bindings = [
    (name = "COUNTER", durableObjectNamespace = "Counter"),
    (name = "CF_VERSION_METADATA", json = "{\"id\":\"workerd\",\"tag\":\"A\",\"timestamp\":\"\"}"),
  ],
  durableObjectNamespaces = [ (className = "Counter", uniqueKey = "bench-counter") ],
  durableObjectStorage = (inMemory = void),
);
CAPNP
.tools/node_modules/.bin/workerd serve "$work/config.capnp" > "$work/workerd.log" 2>&1 &
dotnet silo/Simulator.Silo/bin/Release/net10.0/Simulator.Silo.dll --http-port "$http" --silo-port "$silo" --gateway-port "$gateway" --primary-silo-port "$silo" --telemetry-console off > "$work/silo.log" 2>&1 &
for _ in $(seq 1 100); do grep -q " ready: " "$work/silo.log" 2>/dev/null && break; sleep 0.2; done
export DOSIM_CLUSTER="127.0.0.1:$gateway"
dotnet client/Simulator.Client/bin/Release/net10.0/dosim.dll deploy --name counter --module examples/counter/index.js --config examples/counter/wrangler.toml --tag A > /dev/null
echo "workerd $(.tools/node_modules/.bin/workerd --version) on 127.0.0.1:$wd_port, dosim silo on 127.0.0.1:$http; autocannon, 64 connections, ${warmup}s warm-up each, then ${seconds}s per side per round, $rounds rounds"
node scripts/bench-vs-workerd.mjs "$wd_port" "$http" "$seconds" "$rounds" "$warmup"
