# Shared by bench/eps.sh and bench/eps_ab.sh (sourced, not run): starting a local Spine on a fresh
# data directory, minting the load generator's two tokens, and reading a process's CPU time.
# After start_spine: PID (the server), origin, prescriber and pharmacist (bearer tokens).

PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# User + system CPU seconds of a process so far.
cpu_seconds() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
}

# start_spine BIN DATA [ENV=VALUE ...]: the Spine on a fresh DATA (1,000 patients), with the given
# environment, once it listens; then the reference prescriber's and pharmacist's tokens.
start_spine() {
  local bin=$1 data=$2; shift 2
  rm -rf "$data"
  local port log
  port=$(free_port)
  log=$(mktemp)
  env "$@" RUST_LOG=warn "$bin" --port "$port" --data-dir "$data" --patients 1000 >"$log" 2>&1 &
  PID=$!
  until grep -q "listening on" "$log"; do
    kill -0 "$PID" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
  done
  rm -f "$log"
  origin="http://127.0.0.1:$port"
  prescriber=$("$bin" token --data-dir "$data" --origin "$origin" --user 555021930100 --role 555021935107)
  pharmacist=$("$bin" token --data-dir "$data" --origin "$origin" --user 555021930103 --role 555021935131)
}

stop_spine() {
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

# result_field NAME LINE: one NAME=value of the load generator's RESULT line.
result_field() { local v; v=$(sed -nE "s/.* $1=([0-9.a-z]+).*/\1/p" <<<"$2"); echo "${v:--}"; }
