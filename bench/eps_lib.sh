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

# The machine's speed at this moment, apart from the Spine: SHA-256 on one core (MB/s, for 2 s)
# and a 4 KiB append with its fdatasync in the data directory's file system (µs, median of 500).
# A VM's speed drifts (bench/README.md); a run's figures are read against this line.
speed() {
  local dir=$1
  mkdir -p "$dir"
  python3 - "$dir" <<'PY'
import hashlib, os, statistics, sys, time
block, done, start = bytes(1 << 16), 0, time.perf_counter()
while time.perf_counter() - start < 2:
    hashlib.sha256(block).digest()
    done += len(block)
sha = done / (time.perf_counter() - start) / 1e6
path = os.path.join(sys.argv[1], ".speed")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
page, waits = bytes(4096), []
for _ in range(500):
    t = time.perf_counter()
    os.write(fd, page)
    os.fdatasync(fd)
    waits.append(time.perf_counter() - t)
os.close(fd)
os.unlink(path)
print(f"speed now: SHA-256 {sha:.0f} MB/s on one core; 4 KiB append + fdatasync {statistics.median(waits) * 1e6:.0f} µs (median)")
PY
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
