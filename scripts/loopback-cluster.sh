#!/usr/bin/env bash
# The docker-compose topology without Docker: one Redis and three silos on 127.0.0.1, with
# membership and grain state in Redis.
#
#   scripts/loopback-cluster.sh up              start Redis and silos 1-3, wait until each is ready
#   scripts/loopback-cluster.sh down            stop the silos (SIGTERM), then Redis
#   scripts/loopback-cluster.sh status          which processes run
#   scripts/loopback-cluster.sh kill N          SIGKILL silo N (1-3): no goodbye to the cluster
#   scripts/loopback-cluster.sh start N         start silo N again on its ports
#   scripts/loopback-cluster.sh restart-redis   stop Redis (it flushes its append-only file) and start it again
#
# Settings (environment): DOSIM_CLUSTER_DIR (logs, pids and Redis data; default .dosim-cluster),
# DOSIM_REDIS_PORT (6379), DOSIM_SILO_PORTS ("11111 11112 11113"), DOSIM_GATEWAY_PORTS
# ("30000 30001 30002"), DOSIM_HTTP_PORTS ("8787 8788 8789"), DOSIM_SILO_ARGS (more silo
# arguments), DOSIM_SILO_COMMAND (how to start a silo; default: build once, then run the dll).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${DOSIM_CLUSTER_DIR:-$root/.dosim-cluster}
redis_port=${DOSIM_REDIS_PORT:-6379}
read -r -a silo_ports <<<"${DOSIM_SILO_PORTS:-11111 11112 11113}"
read -r -a gateway_ports <<<"${DOSIM_GATEWAY_PORTS:-30000 30001 30002}"
read -r -a http_ports <<<"${DOSIM_HTTP_PORTS:-8787 8788 8789}"
read -r -a silo_args <<<"${DOSIM_SILO_ARGS:-}"

fail() { echo "loopback-cluster: $*" >&2; exit 1; }
running() { [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

silo_command() {
  if [ -n "${DOSIM_SILO_COMMAND:-}" ]; then
    read -r -a command <<<"$DOSIM_SILO_COMMAND"
  else
    local dll="$root/silo/Simulator.Silo/bin/Release/net10.0/Simulator.Silo.dll"
    [ -f "$dll" ] || dotnet build "$root/silo/Simulator.Silo" -c Release >/dev/null || fail "building the silo failed: run 'dotnet build silo/Simulator.Silo -c Release' to see why"
    command=(dotnet "$dll")
  fi
}

start_redis() {
  command -v redis-server >/dev/null || fail "redis-server is not installed: apt-get install -y redis-server"
  mkdir -p "$dir/redis"
  # Every acknowledged write reaches the append-only file before Redis answers.
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir/redis" --appendonly yes --appendfsync always --save "" \
    </dev/null >>"$dir/redis.log" 2>&1 &
  echo $! >"$dir/redis.pid"
  for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return
    running redis || fail "Redis exited at start (is port $redis_port taken? set DOSIM_REDIS_PORT): $(tail -n 3 "$dir/redis.log")"
    sleep 0.1
  done
  fail "Redis did not answer on 127.0.0.1:$redis_port within 10 s"
}

start_silo() {
  local n=$1 i=$(($1 - 1))
  [ "$n" -ge 1 ] && [ "$n" -le 3 ] 2>/dev/null || fail "no silo '$n': name silo 1, 2 or 3"
  running "silo$n" && fail "silo $n is already running (pid $(cat "$dir/silo$n.pid"))"
  silo_command
  touch "$dir/silo$n.log"
  local from
  from=$(($(wc -l <"$dir/silo$n.log") + 1))
  "${command[@]}" --instance "$n" --silo-port "${silo_ports[$i]}" --gateway-port "${gateway_ports[$i]}" --http-port "${http_ports[$i]}" \
    --clustering redis --storage redis --redis "127.0.0.1:$redis_port" ${silo_args[@]+"${silo_args[@]}"} \
    </dev/null >>"$dir/silo$n.log" 2>&1 &
  echo $! >"$dir/silo$n.pid"
  for _ in $(seq 600); do
    tail -n "+$from" "$dir/silo$n.log" | grep " ready: " && return
    running "silo$n" || fail "silo $n exited at start: $(tail -n "+$from" "$dir/silo$n.log" | grep -v '^ ' | tail -n 5)"
    sleep 0.1
  done
  fail "silo $n was not ready within 60 s: see $dir/silo$n.log"
}

stop() {
  local name=$1 signal=$2
  running "$name" || return 0
  local pid
  pid=$(cat "$dir/$name.pid")
  kill "-$signal" "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

mkdir -p "$dir"
case "${1:-}" in
  up)
    running redis && fail "already up: run '$0 down' first"
    start_redis
    for n in 1 2 3; do start_silo "$n"; done
    echo "cluster up: DOSIM_CLUSTER=127.0.0.1:${gateway_ports[0]},127.0.0.1:${gateway_ports[1]},127.0.0.1:${gateway_ports[2]} (or redis://127.0.0.1:$redis_port), DOSIM_HTTP=http://127.0.0.1:${http_ports[0]}"
    ;;
  down)
    for n in 1 2 3; do stop "silo$n" TERM; done
    stop redis TERM
    echo "cluster down"
    ;;
  status)
    for name in redis silo1 silo2 silo3; do
      if running "$name"; then echo "$name running (pid $(cat "$dir/$name.pid"))"; else echo "$name stopped"; fi
    done
    ;;
  kill)
    running "silo${2:-}" || fail "silo '${2:-}' is not running: name silo 1, 2 or 3"
    stop "silo$2" KILL
    echo "silo $2 killed"
    ;;
  start)
    start_silo "${2:-}"
    ;;
  restart-redis)
    stop redis TERM
    start_redis
    echo "redis restarted"
    ;;
  *)
    fail "usage: $0 up|down|status|kill N|start N|restart-redis"
    ;;
esac
