#!/usr/bin/env bash
# PDS benchmark: starts the local Spine (release build) seeded with each population size, then
# drives PDS read (GET /Patient/{id}) and search (GET /Patient?family&given&birthdate) from wrk in
# a second process, printing seeding time, throughput and p50/p99 latency. Requests carry a
# clinician's bearer token; every read and search is authorized and audited as in production.
#   bench/run.sh                 sizes 100000 and 1000000, 20 s per load
#   bench/run.sh 100000          one size
# Environment: SPINE_BENCH_DURATION (seconds, default 20), SPINE_BENCH_CONNECTIONS (default 32),
# SPINE_BENCH_THREADS (wrk threads, default 1), SPINE_BENCH_DIR (data, default bench/.data).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)
DURATION=${SPINE_BENCH_DURATION:-20}
CONNECTIONS=${SPINE_BENCH_CONNECTIONS:-32}
THREADS=${SPINE_BENCH_THREADS:-1}
DATA=${SPINE_BENCH_DIR:-bench/.data}
BIN=target/release/spine

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --bin spine

PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-9s %-7s %10s %10s %10s %9s %s\n' patients load req/s p50_ms p99_ms seed_s notes
for N in "${SIZES[@]}"; do
  dir="$DATA/$N"
  rm -rf "$dir"
  port=$(free_port)
  log=$(mktemp)
  start=$(date +%s.%N)
  RUST_LOG=warn "$BIN" --port "$port" --data-dir "$dir" --patients "$N" >"$log" 2>&1 &
  PID=$!
  until grep -q "listening on" "$log"; do
    kill -0 "$PID" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
  done
  seed=$(grep -o 'Seeded [0-9]* patients in [0-9.]* s' "$log" | awk '{print $5}')
  # Every route needs a token: Dr Amelia Hart's, minted with the data directory's key.
  export SPINE_BENCH_TOKEN
  SPINE_BENCH_TOKEN=$("$BIN" token --data-dir "$dir" --origin "http://127.0.0.1:$port" --user 555021930100 --role 555021935107)
  for kind in read search; do
    paths=$(mktemp)
    "$BIN" sample --patients "$N" --count 20000 --kind "$kind" >"$paths"
    # Warm up, then measure.
    SPINE_BENCH_PATHS=$paths wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s bench/paths.lua "http://127.0.0.1:$port" >/dev/null
    out=$(SPINE_BENCH_PATHS=$paths wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/paths.lua "http://127.0.0.1:$port")
    line=$(grep '^RESULT' <<<"$out")
    rps=$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$line")
    p50=$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$line")
    p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")
    non2xx=$(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<<"$line")
    printf '%-9s %-7s %10s %10s %10s %9s %s\n' "$N" "$kind" "$rps" "$p50" "$p99" "$seed" "non-2xx=$non2xx"
    rm -f "$paths"
  done
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
  echo "          server peak RSS: $((rss / 1024)) MiB; data dir: $(du -sh "$dir" | cut -f1)"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  rm -f "$log"
done
