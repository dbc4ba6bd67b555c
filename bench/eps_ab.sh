#!/usr/bin/env bash
# Interleaved A/B of the EPS full run: this VM's speed drifts by up to ±30 % within an hour, so one
# run of each variant says little; pairs run one after the other (A, B, A, B, …), each on a fresh
# data directory, say more. Each run: the Spine as bench/eps.sh's "full" run starts it, 3 s of
# warm-up at 8 workers, then SPINE_BENCH_DURATION seconds of lifecycles at SPINE_BENCH_CONCURRENCY
# workers from functions/eps/examples/eps_load.rs. Printed per run: lifecycles/s, the server's and
# the client's cores, and how idle the machine was; then each variant's figures, mean and wins.
#
#   bench/eps_ab.sh "as built" "no events: SPINE_EPS_EVENTS=off"
#   bench/eps_ab.sh "new: bin=/tmp/new/spine" "old: bin=/tmp/old/spine"
#
# A variant is "label: word …": `bin=PATH` is the server binary, `load=PATH` the load generator
# (both default to this tree's release builds, built first), any other word an environment
# variable for the server (NAME=VALUE).
# Environment: SPINE_AB_PAIRS (default 5), SPINE_BENCH_DURATION (default 10),
# SPINE_BENCH_CONCURRENCY (one value, default 32), SPINE_BENCH_DIR (default bench/.data/eps-ab).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Without two variants: the comment above, as usage.
[ $# -eq 2 ] || { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 2; }
PAIRS=${SPINE_AB_PAIRS:-5}
DURATION=${SPINE_BENCH_DURATION:-10}
CONCURRENCY=${SPINE_BENCH_CONCURRENCY:-32}
DATA=${SPINE_BENCH_DIR:-bench/.data/eps-ab}

cargo build --release --bin spine
cargo build --release -p spine-eps --example eps_load

# shellcheck source=bench/eps_lib.sh
. bench/eps_lib.sh
trap 'cleanup; rm -rf "$DATA"' EXIT

# Busy and total jiffies of the whole machine so far.
machine_jiffies() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat; }

# run VARIANT: one measured run (in this shell, so that the exit trap knows its server); sets
# RUN to "lc/s server-cores client-cores idle%".
run() {
  local label=${1%%:*} words="" bin=target/release/spine load=target/release/examples/eps_load env=()
  [[ $1 == *:* ]] && words=${1#*:}
  for w in $words; do
    case $w in
      bin=*) bin=${w#bin=} ;;
      load=*) load=${w#load=} ;;
      *=*) env+=("$w") ;;
      *) echo "eps_ab: '$w' in variant '$label' is not bin=, load= or NAME=VALUE" >&2; exit 2 ;;
    esac
  done
  start_spine "$bin" "$DATA" "${env[@]}"
  "$load" --url "$origin" --prescriber-token "$prescriber" --pharmacist-token "$pharmacist" --concurrency 8 --duration 3 >/dev/null
  local before busy0 total0 line after busy1 total1
  before=$(cpu_seconds "$PID")
  read -r busy0 total0 < <(machine_jiffies)
  line=$("$load" --url "$origin" --prescriber-token "$prescriber" --pharmacist-token "$pharmacist" --concurrency "$CONCURRENCY" --duration "$DURATION" --threads 2)
  read -r busy1 total1 < <(machine_jiffies)
  after=$(cpu_seconds "$PID")
  stop_spine
  [ "$(result_field errors "$line")" = 0 ] || echo "eps_ab: $label: $(result_field errors "$line") errors" >&2
  RUN=$(printf '%s %s %s %s' "$(result_field lifecycles_per_s "$line")" \
    "$(awk -v a="$after" -v b="$before" -v d="$DURATION" 'BEGIN {printf "%.2f", (a - b) / d}')" \
    "$(result_field client_cores "$line")" \
    "$(awk -v b0="$busy0" -v t0="$total0" -v b1="$busy1" -v t1="$total1" 'BEGIN {printf "%.0f", 100 * (1 - (b1 - b0) / (t1 - t0))}')")
}

machine
speed "$(dirname "$DATA")"
echo "$PAIRS pairs, $CONCURRENCY workers, ${DURATION} s each; A = ${1%%:*}, B = ${2%%:*}"
printf '%-5s %-3s %10s %9s %9s %6s\n' pair run 'lc/s' 'srv CPU' 'cli CPU' 'idle%'
a_all=() b_all=() a_wins=0
for p in $(seq "$PAIRS"); do
  run "$1"; read -r a as ac ai <<<"$RUN"
  printf '%-5s %-3s %10s %9s %9s %6s\n' "$p" A "$a" "$as" "$ac" "$ai"
  run "$2"; read -r b bs bc bi <<<"$RUN"
  printf '%-5s %-3s %10s %9s %9s %6s\n' "$p" B "$b" "$bs" "$bc" "$bi"
  a_all+=("$a") b_all+=("$b")
  awk -v a="$a" -v b="$b" 'BEGIN {exit !(a > b)}' && a_wins=$((a_wins + 1))
done
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.0f", s / NR}'; }
echo "A (${1%%:*}): ${a_all[*]}; mean $(mean "${a_all[@]}")"
echo "B (${2%%:*}): ${b_all[*]}; mean $(mean "${b_all[@]}")"
echo "A won $a_wins of $PAIRS pairs"
