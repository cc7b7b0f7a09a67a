#!/usr/bin/env bash
# Two Workers in workerd and in dosim, each loaded by autocannon (see the .mjs): examples/counter
# (a fetch to a key-value object; workerd's in-memory storage), and scripts/bench-rpc-sqlite (JS RPC
# to a SQLite-backed object; workerd's localDisk storage with enableSql).
# Usage: scripts/bench-vs-workerd.sh [seconds per round] [rounds] [warm-up seconds per server] [counter|rpc-sqlite|both]
# Needs a Release build (dotnet build -c Release) and, in .tools, workerd and autocannon:
#   npm install --prefix .tools workerd@1.20261117.1 autocannon@9.0.0
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${2:-4}
warmup=${3:-15}
which=${4:-both}
case "$which" in counter|rpc-sqlite|both) ;; *) echo "The fourth argument is counter, rpc-sqlite or both (got '$which')." >&2; exit 2 ;; esac
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench <name> <directory> <binding> <class> <workerd storage> <enableSql> <extra bindings>
bench() {
  local name=$1 dir=$2 binding=$3 class=$4 storage=$5 sql=$6 extra=$7
  local work; work=$(mktemp -d)
  local wd_port http silo gateway
  wd_port=$(free_port); http=$(free_port); silo=$(free_port); gateway=$(free_port)
  cp "$dir/index.js" "$work/index.js"
  mkdir -p "$work/do-disk"
  cat > "$work/config.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker), (name = "disk", disk = (path = "$work/do-disk", writable = true)) ],
  sockets = [ (name = "http", address = "127.0.0.1:$wd_port", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed "index.js") ],
  compatibilityDate = "2026-11-01",
  bindings = [ (name = "$binding", durableObjectNamespace = "$class")$extra ],
  durableObjectNamespaces = [ (className = "$class", uniqueKey = "bench-$name"$sql) ],
  durableObjectStorage = $storage,
);
CAPNP
  .tools/node_modules/.bin/workerd serve "$work/config.capnp" > "$work/workerd.log" 2>&1 &
  local workerd_pid=$!
  dotnet silo/Simulator.Silo/bin/Release/net10.0/Simulator.Silo.dll --http-port "$http" --silo-port "$silo" --gateway-port "$gateway" --primary-silo-port "$silo" --telemetry-console off > "$work/silo.log" 2>&1 &
  local silo_pid=$!
  for _ in $(seq 1 100); do grep -q " ready: " "$work/silo.log" 2>/dev/null && break; sleep 0.2; done
  DOSIM_CLUSTER="127.0.0.1:$gateway" dotnet client/Simulator.Client/bin/Release/net10.0/dosim.dll deploy --name "$name" --module "$dir/index.js" --config "$dir/wrangler.toml" --tag A > /dev/null
  echo "$name: workerd $(.tools/node_modules/.bin/workerd --version) on 127.0.0.1:$wd_port, dosim silo on 127.0.0.1:$http; autocannon, 64 connections, ${warmup}s warm-up each, then ${seconds}s per side per round, $rounds rounds"
  node scripts/bench-vs-workerd.mjs "$wd_port" "$http" "$seconds" "$rounds" "$warmup" "$name" "$dir"
  kill "$workerd_pid" "$silo_pid" 2>/dev/null || true
  wait "$workerd_pid" "$silo_pid" 2>/dev/null || true
  rm -rf "$work"
}

trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
if [[ $which == counter || $which == both ]]; then
  bench counter examples/counter COUNTER Counter "(inMemory = void)" "" ', (name = "CF_VERSION_METADATA", json = "{\"id\":\"workerd\",\"tag\":\"A\",\"timestamp\":\"\"}")'
fi
if [[ $which == rpc-sqlite || $which == both ]]; then
  bench rooms scripts/bench-rpc-sqlite ROOM Room '(localDisk = "disk")' ", enableSql = true" ""
fi
