#!/usr/bin/env bash
# MESH benchmark (issue 4): completed messages per second. One cycle = send (POST
# /messageexchange/{from}/outbox, one chunk) + list the inbox (GET …/{to}/inbox) + download the
# message the send returned (GET …/inbox/{id}, bytes compared) + acknowledge (PUT
# …/inbox/{id}/status/acknowledged), every request with its own single-use NHSMESH token. The load
# comes from our lean generator (functions/mesh/examples/mesh_load.rs, release build, one client
# thread; the Python mesh-client costs ~6 ms of CPU per cycle and would measure itself on 2 cores),
# the same binary against every server in the same run:
#   - NHS England's reference sandbox, mesh-sandbox (PyPI, pinned below) in a venv under .venv/,
#     uvicorn on a free loopback port, STORE_MODE=memory AUTH_MODE=full SHARED_KEY=TestKey, no access
#     log; mailboxes X26ABC1 -> X26ABC2 (password "password"), workflow TEST_WORKFLOW (its fixtures);
#   - our local Spine (target/release/spine, fresh data directory), after the sandbox.
# For each concurrency: reset the sandbox's store (DELETE /admin/reset), warm up, reset, measure.
# (The reset matters: the sandbox keeps acknowledged messages in its in-memory inbox list and filters
# them on every listing, so it slows down as a run goes on.)
#   bench/mesh.sh                                     concurrency 8, 20 s, 1 KiB
#   SPINE_BENCH_CONCURRENCY="1 4 8 16" bench/mesh.sh  a sweep
#   SPINE_BENCH_MESH_BIG=1024 bench/mesh.sh           also a 1 GiB message through the Spine (peak RSS)
# Run it on an otherwise idle machine (here: flock /tmp/cargo.lock bench/mesh.sh, so that no build
# shares the cores with it).
# Environment: SPINE_BENCH_CONCURRENCY (workers; a space-separated list sweeps, default 8),
# SPINE_BENCH_DURATION (s, default 20), SPINE_BENCH_WARMUP (s, default 5), SPINE_BENCH_PAYLOAD
# (bytes, default 1024), SPINE_BENCH_CLIENT_THREADS (default 1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=../scripts/lib.sh
source scripts/lib.sh

CONCURRENCY=${SPINE_BENCH_CONCURRENCY:-8}
DURATION=${SPINE_BENCH_DURATION:-20}
WARMUP=${SPINE_BENCH_WARMUP:-5}
PAYLOAD=${SPINE_BENCH_PAYLOAD:-1024}
CLIENT_THREADS=${SPINE_BENCH_CLIENT_THREADS:-1}
SANDBOX_SPEC='mesh-sandbox==1.0.137'
SANDBOX_VENV="$SPINE_VENV_DIR/mesh-sandbox"
SHARED_KEY=TestKey
SENDER=X26ABC1:password
RECIPIENT=X26ABC2:password
WORKFLOW=TEST_WORKFLOW
LOAD=target/release/examples/mesh_load

spine_ensure_venv "$SANDBOX_VENV" "$SANDBOX_SPEC"
cargo build --release -p spine-mesh --example mesh_load

PID=""
LOG=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -n "$LOG" ]; then rm -f "$LOG"; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU seconds (user + system, all threads) of a process so far.
cpu_seconds() { awk '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / 100 }' "/proc/$1/stat"; }
peak_rss_mib() { awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "$SANDBOX_SPEC, $("$SANDBOX_VENV/bin/python" -V), uvicorn $("$SANDBOX_VENV/bin/python" -c 'import uvicorn; print(uvicorn.__version__)'); $(rustc -V | cut -d' ' -f1-2)"
echo "cycle = send + list + download + acknowledge, ${PAYLOAD} B, ${WARMUP} s warm-up + ${DURATION} s, client threads ${CLIENT_THREADS}"

# load <url> <concurrency> <seconds>: one run of the generator; prints its RESULT line.
load() {
  "$LOAD" --url "$1" --shared-key "$SHARED_KEY" --sender "$SENDER" --recipient "$RECIPIENT" \
    --workflow "$WORKFLOW" --concurrency "$2" --duration "$3" --payload "$PAYLOAD" --threads "$CLIENT_THREADS" \
    2> >(sed 's/^/    /' >&2) | grep '^RESULT'
}

# measure <label> <url> [reset command]: for each concurrency, warm up and measure (resetting the
# server's store before each, when a reset is given); prints the RESULT line and the server's CPU.
measure() {
  local label=$1 url=$2 reset=${3:-true} c cpu0 cpu1 line
  for c in $CONCURRENCY; do
    $reset
    load "$url" "$c" "$WARMUP" >/dev/null
    $reset
    cpu0=$(cpu_seconds "$PID")
    line=$(load "$url" "$c" "$DURATION")
    cpu1=$(cpu_seconds "$PID")
    printf '%-8s %5s  %s %s_cpu=%.0f%%\n' "$label" "$c" "$line" "$label" \
      "$(awk -v a="$cpu0" -v b="$cpu1" -v d="$DURATION" 'BEGIN { print (b - a) / d * 100 }')"
    grep -q ' errors=0 ' <<<"$line" || spine_warn "errors against $label at concurrency $c"
  done
}

# start_spine [VAR=value ...]: target/release/spine on $DATA on a free port, in the background
# ($PID, $url), once it answers.
start_spine() {
  local port
  port=$(free_port)
  env "$@" RUST_LOG=warn target/release/spine --port "$port" --data-dir "$DATA" --patients 100 >"$LOG" 2>&1 &
  PID=$!
  url="http://127.0.0.1:$port"
  until curl -sf "$url/messageexchange/_ping" >/dev/null; do
    kill -0 "$PID" 2>/dev/null || { cat "$LOG"; spine_die "the local Spine did not start"; }
    sleep 0.2
  done
}

stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

# --- mesh-sandbox --------------------------------------------------------------------------------
port=$(free_port)
LOG=$(mktemp)
STORE_MODE=memory AUTH_MODE=full SHARED_KEY=$SHARED_KEY \
  "$SANDBOX_VENV/bin/uvicorn" mesh_sandbox.api:app --host 127.0.0.1 --port "$port" \
  --no-access-log --log-level warning >"$LOG" 2>&1 &
PID=$!
url="http://127.0.0.1:$port"
until curl -sf "$url/_ping" >/dev/null; do
  kill -0 "$PID" 2>/dev/null || { cat "$LOG"; spine_die "mesh-sandbox did not start"; }
  sleep 0.2
done
reset_sandbox() { curl -sf -X DELETE "$url/admin/reset" >/dev/null; }

printf '%-8s %5s  %s\n' server conc result
measure sandbox "$url" reset_sandbox
echo "sandbox peak RSS $(peak_rss_mib "$PID") MiB (one uvicorn process, the whole sweep)"
stop_server

# --- our local Spine -----------------------------------------------------------------------------
# target/release/spine on a fresh data directory (100 synthetic patients: MESH does not need more),
# RUST_LOG=warn, the default shared key TestKey and its seeded mailboxes X26ABC1..3 (password
# "password"), workflow TEST_WORKFLOW; the same generator at the same concurrencies.
cargo build --release --bin spine
DATA=$(mktemp -d)
cleanup_data() { cleanup; rm -rf "$DATA"; }
trap cleanup_data EXIT
start_spine
measure spine "$url"
echo "spine peak RSS $(peak_rss_mib "$PID") MiB (the whole sweep)"

# --- one large message through the local Spine ----------------------------------------------------
# SPINE_BENCH_MESH_BIG=<MiB> (e.g. 1024): a fresh Spine; NHS England's mesh-client sends a message
# of that many MiB of random bytes in 4 MiB chunks, downloads it chunk by chunk (sha256 compared)
# and acknowledges it; the server's peak RSS (VmHWM) is reported. Target for 1 GiB: <= 64 MB.
# Three times: with mimalloc's own defaults (MIMALLOC_ARENA_EAGER_COMMIT=2 MIMALLOC_PURGE_DELAY=10:
# arenas committed eagerly, which counts in RSS), with freed memory handed back at once as well
# (both 0: the least memory, but it costs the EPS full run 5-9 % in madvise calls), and as the Spine
# runs by default (it restarts itself with 0 and 10 unless either is set).
# Each on a Spine restarted on an already-seeded data directory, so the seeding's memory is not
# counted.
if [ -n "${SPINE_BENCH_MESH_BIG:-}" ]; then
  stop_server
  # A data directory of its own, seeded by one start and stop (the sweep's thousands of messages
  # would otherwise fill the database cache when the Spine starts).
  rm -rf "$DATA"; DATA=$(mktemp -d)
  start_spine
  stop_server
  for settings in "MIMALLOC_ARENA_EAGER_COMMIT=2 MIMALLOC_PURGE_DELAY=10" \
    "MIMALLOC_ARENA_EAGER_COMMIT=0 MIMALLOC_PURGE_DELAY=0" ""; do
    label=${settings:-Spine default, MIMALLOC_ARENA_EAGER_COMMIT=0 MIMALLOC_PURGE_DELAY=10}
    # shellcheck disable=SC2086 # the settings are words on purpose
    start_spine $settings
    echo "spine ($label): RSS before $(peak_rss_mib "$PID") MiB"
    # mesh-client 5.0.2 comes with the sandbox's venv (a dependency of mesh-sandbox).
    env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE NO_PROXY=127.0.0.1 \
      "$SANDBOX_VENV/bin/python" bench/mesh_big.py "$url" "$SPINE_BENCH_MESH_BIG"
    echo "spine ($label): peak RSS with a ${SPINE_BENCH_MESH_BIG} MiB message $(peak_rss_mib "$PID") MiB"
    stop_server
  done
fi
