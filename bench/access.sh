#!/usr/bin/env bash
# Access benchmark (issue 3): what identity and audit cost.
#  1. Token verification per request (ES256 + claims + policy), one core: examples/token_verify.rs.
#  2. PDS read throughput in the same run, same machine, same population: the walking skeleton
#     (commit $SPINE_BENCH_BASELINE, no tokens, no audit) against this tree: bearer token verified
#     in-process (remembered per token, as API Gateway caches its authorizer), policy, one audit
#     event per read appended to the local audit journal before the answer, with the audit writer
#     off (the request path, as in AWS where the writer is its own Lambda). Skeleton and this tree
#     alternate for $SPINE_BENCH_ROUNDS rounds and the medians are compared (a shared 2-core VM
#     drifts by ±10% between runs). Then once each: SPINE_AUDIT_FLUSH=each (an fdatasync per group
#     of requests before answering), and the audit writer on in the same process.
#   bench/access.sh [patients]     default 100000
# Environment: SPINE_BENCH_DURATION (s, default 15), SPINE_BENCH_ROUNDS (3), SPINE_BENCH_CONNECTIONS (32),
# SPINE_BENCH_BASELINE (default 40c3d93: the last commit before identity).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=${1:-100000}
DURATION=${SPINE_BENCH_DURATION:-15}
ROUNDS=${SPINE_BENCH_ROUNDS:-3}
CONNECTIONS=${SPINE_BENCH_CONNECTIONS:-32}
BASELINE=${SPINE_BENCH_BASELINE:-40c3d93}
DATA=bench/.data/access
BASE_SRC=bench/.baseline-src

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --bin spine --example token_verify
if [ ! -x target/bench-baseline/release/spine ] || [ "$(cat target/bench-baseline/REV 2>/dev/null)" != "$BASELINE" ]; then
  rm -rf "$BASE_SRC"; git worktree prune
  git worktree add --detach "$BASE_SRC" "$BASELINE" >/dev/null
  (cd "$BASE_SRC" && cargo build --release --bin spine --target-dir ../../target/bench-baseline)
  echo "$BASELINE" > target/bench-baseline/REV
  git worktree remove --force "$BASE_SRC"
fi

PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
target/release/examples/token_verify 20000

paths=$(mktemp)
target/release/spine sample --patients "$N" --count 20000 --kind read >"$paths"

# run <label> <binary> <token|none> [audit writer on|off]
run() {
  local label=$1 bin=$2 dir="$DATA/$1" port log out line
  rm -rf "$dir"; port=$(free_port); log=$(mktemp)
  SPINE_AUDIT_WRITER=${4:-on} RUST_LOG=warn "$bin" --port "$port" --data-dir "$dir" --patients "$N" >"$log" 2>&1 &
  PID=$!
  until grep -q "listening on" "$log"; do kill -0 "$PID" 2>/dev/null || { cat "$log"; exit 1; }; sleep 0.2; done
  local token=""
  if [ "$3" = token ]; then
    token=$(target/release/spine token --data-dir "$dir" --origin "http://127.0.0.1:$port" --user 555021930100 --role 555021935107)
  fi
  SPINE_BENCH_TOKEN=$token SPINE_BENCH_PATHS=$paths wrk -t1 -c"$CONNECTIONS" -d3s -s bench/paths.lua "http://127.0.0.1:$port" >/dev/null
  out=$(SPINE_BENCH_TOKEN=$token SPINE_BENCH_PATHS=$paths wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/paths.lua "http://127.0.0.1:$port")
  line=$(grep '^RESULT' <<<"$out")
  printf '%-22s %s\n' "$label" "$line"
  sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$line" >"$DATA/$label.rps"
  sleep 2  # let the audit writer drain
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
  echo "                       server peak RSS $((rss / 1024)) MiB"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  rm -f "$log"
}

mkdir -p "$DATA"
echo "PDS read, $N patients, wrk 1 thread, $CONNECTIONS connections, ${DURATION} s, $ROUNDS rounds (skeleton and this tree alternating):"
for round in $(seq 1 "$ROUNDS"); do
  run "skeleton.$round" target/bench-baseline/release/spine none
  run "auth-audit.$round" target/release/spine token off
done
SPINE_AUDIT_FLUSH=each run auth-audit-flush-each target/release/spine token off
run auth-audit-written target/release/spine token on
python3 - "$DATA" "$ROUNDS" <<'PY'
import statistics, sys
data, rounds = sys.argv[1], int(sys.argv[2])
rps = lambda label: float(open(f"{data}/{label}.rps").read())
skeleton = [rps(f"skeleton.{r}") for r in range(1, rounds + 1)]
audited = [rps(f"auth-audit.{r}") for r in range(1, rounds + 1)]
base = statistics.median(skeleton)
print(f"skeleton median {base:.0f} req/s; auth + audit median {statistics.median(audited):.0f} req/s")
print(f"auth + audit: {statistics.median(audited) / base * 100:.1f}% of the skeleton (target: within 15%, i.e. >= 85%)")
print("per round: " + ", ".join(f"{a / s * 100:.1f}%" for s, a in zip(skeleton, audited)))
for label in ["auth-audit-flush-each", "auth-audit-written"]:
    print(f"{label}: {rps(label) / base * 100:.1f}% of the skeleton median")
PY
rm -f "$paths"
