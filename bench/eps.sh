#!/usr/bin/env bash
# EPS benchmark: complete prescription lifecycles per second (create → release → dispense → claim)
# through the local Spine (release build, fresh data directory), driven by the lean Rust load
# generator functions/eps/examples/eps_load.rs from a second process (two threads, so that a request
# never waits for the client behind the server's threads; each worker drives its own connection),
# with p50/p99 per operation and the cores the server ("srv CPU") and the client ("cli CPU") used,
# and the server's CPU time per lifecycle ("us CPU/lc", the drain's included).
# Every request is authorised and audited as in production; every change writes its status event
# to the outbox. Two runs, each on a fresh data directory:
#   - full: the Spine as it runs by default, doing in-process what other Lambdas do in AWS — the
#     audit writer, the outbox relay and the status queue's consumer — on the same two cores;
#   - request path: SPINE_AUDIT_WRITER=off SPINE_EPS_EVENTS=off, so only the API's own work is
#     measured (audit events wait in their journal, status events in the outbox), as bench/run.sh
#     measures PDS and as each function runs in AWS.
#   bench/eps.sh
# The load generator makes each run's lifecycles (signed orders, serialised bodies) before its clock
# starts, so that during the run the client's share of the two cores is HTTP alone. After each
# measurement the script waits for the server to go idle ("drain s": whole seconds until it uses
# under 5% of a core): work the run left behind — a backlog of audit events or status events in
# the full run — shows there, not hidden.
# Before and after the runs it prints the machine's own speed then (`speed`: SHA-256 on one core,
# a 4 KiB append with its fdatasync), so that a slower CPU or disk at that moment shows.
# Environment: SPINE_BENCH_CONCURRENCY (default "8 16 32 64"), SPINE_BENCH_DURATION (seconds,
# default 20, after 5 s of warm-up), SPINE_BENCH_DIR (data, default bench/.data/eps).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CONCURRENCY=${SPINE_BENCH_CONCURRENCY:-"8 16 32 64"}
DURATION=${SPINE_BENCH_DURATION:-20}
DATA=${SPINE_BENCH_DIR:-bench/.data/eps}
BIN=target/release/spine
LOAD=target/release/examples/eps_load

cargo build --release --bin spine
cargo build --release -p spine-eps --example eps_load

# shellcheck source=bench/eps_lib.sh
. bench/eps_lib.sh

machine
run_mode() {
  local mode=$1; shift
  start_spine "$BIN" "$DATA" "$@"
  "$LOAD" --url "$origin" --prescriber-token "$prescriber" --pharmacist-token "$pharmacist" --concurrency 8 --duration 5 >/dev/null
  echo "== $mode"
  printf '%-5s %10s %7s %16s %16s %16s %16s %9s %9s %8s %9s\n' conc 'lc/s' errors 'create p50/p99' 'release p50/p99' 'dispense p50/p99' 'claim p50/p99' 'srv CPU' 'cli CPU' 'drain s' 'us CPU/lc'
  for c in $CONCURRENCY; do
    before=$(cpu_seconds "$PID")
    line=$("$LOAD" --url "$origin" --prescriber-token "$prescriber" --pharmacist-token "$pharmacist" --concurrency "$c" --duration "$DURATION" --threads 2)
    after=$(cpu_seconds "$PID")
    drain=0 prev=$after
    while [ "$drain" -lt 120 ]; do
      sleep 1; now=$(cpu_seconds "$PID"); drain=$((drain + 1))
      awk -v a="$now" -v b="$prev" 'BEGIN {exit !(a - b < 0.05)}' && break
      prev=$now
    done
    get() { result_field "$1" "$line"; }
    cores=$(awk -v a="$after" -v b="$before" -v d="$DURATION" 'BEGIN {printf "%.2f", (a - b) / d}')
    # The server's CPU time for each lifecycle, the drain's included (`now`, from the drain loop):
    # for one build the same work every run, so where it rises, the machine's cores were slower
    # (bench/README.md, "The machine's phases").
    per_lc=$(awk -v a="$now" -v b="$before" -v n="$(get lifecycles)" 'BEGIN {printf "%.0f", (n > 0 ? (a - b) / n * 1e6 : 0)}')
    printf '%-5s %10s %7s %16s %16s %16s %16s %9s %9s %8s %9s\n' "$c" "$(get lifecycles_per_s)" "$(get errors)" \
      "$(get create_p50_ms)/$(get create_p99_ms)" "$(get release_p50_ms)/$(get release_p99_ms)" \
      "$(get dispense_p50_ms)/$(get dispense_p99_ms)" "$(get claim_p50_ms)/$(get claim_p99_ms)" "$cores" \
      "$(get client_cores)" "$drain" "$per_lc"
    made=$(get made_during_run)
    [ "$made" = 0 ] || echo "      ($made lifecycles were made during the run: the prepared ones ran out)"
  done
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
  echo "server peak RSS: $((rss / 1024)) MiB; data dir: $(du -sh "$DATA" | cut -f1)"
  stop_spine
}

speed "$(dirname "$DATA")"
run_mode full
run_mode "request path" SPINE_AUDIT_WRITER=off SPINE_EPS_EVENTS=off
speed "$(dirname "$DATA")"

