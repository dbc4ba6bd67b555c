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
#   - our local Spine: not yet — its MESH routes do not exist (see the marked block below).
# For each concurrency: reset the sandbox's store (DELETE /admin/reset), warm up, reset, measure.
# (The reset matters: the sandbox keeps acknowledged messages in its in-memory inbox list and filters
# them on every listing, so it slows down as a run goes on.)
#   bench/mesh.sh                                     concurrency 8, 20 s, 1 KiB
#   SPINE_BENCH_CONCURRENCY="1 4 8 16" bench/mesh.sh  a sweep
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
for c in $CONCURRENCY; do
  reset_sandbox
  load "$url" "$c" "$WARMUP" >/dev/null
  reset_sandbox
  cpu0=$(cpu_seconds "$PID")
  line=$(load "$url" "$c" "$DURATION")
  cpu1=$(cpu_seconds "$PID")
  printf '%-8s %5s  %s sandbox_cpu=%.0f%%\n' sandbox "$c" "$line" \
    "$(awk -v a="$cpu0" -v b="$cpu1" -v d="$DURATION" 'BEGIN { print (b - a) / d * 100 }')"
  grep -q ' errors=0 ' <<<"$line" || spine_warn "errors against the sandbox at concurrency $c"
done
echo "sandbox peak RSS $(peak_rss_mib "$PID") MiB (one uvicorn process, the whole sweep)"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""

# --- our local Spine -----------------------------------------------------------------------------
# NOT YET: functions/mesh has the protocol core and the storage, but the local Spine serves no MESH
# routes. When it does, start target/release/spine here as bench/run.sh does (RUST_LOG=warn, a fresh
# data directory), with shared key TestKey, mailboxes X26ABC1 and X26ABC2 (password "password") and
# workflow TEST_WORKFLOW, run `load` at the same concurrencies (alternating with the sandbox, as
# bench/access.sh alternates), record its peak RSS, and print the ratio of msgs/s (target: >= 10x
# the sandbox). Until then this block refuses rather than report anything.
if [ "${SPINE_BENCH_MESH_SPINE:-0}" = 1 ]; then
  spine_die "the local Spine has no MESH routes yet: nothing to measure"
fi
