#!/usr/bin/env bash
# MESH compatibility: runs NHS England's official client, mesh-client (pinned below), unchanged against
# a MESH API with the pytest suite in tests/mesh_compat/ (see its module docstring).
#   scripts/mesh-compat.sh [PYTEST-ARGS...]
#     MESH_URL unset: starts the local Spine (${SPINE_BIN:-target/debug/spine}, not built here) on a free
#                     loopback port with a fresh data directory, waits for GET /messageexchange/_ping,
#                     runs the suite with MESH_SERVER=spine, then stops the server and removes its data
#                     (its log is printed when the suite fails)
#     MESH_URL set:   runs the suite against that server; MESH_SERVER=spine (default) or sandbox (NHS
#                     England's mesh-sandbox: the tests of behaviour it lacks are skipped, with reasons)
#   SPINE_MESH_START_TIMEOUT  seconds to wait for the local Spine to answer (default 60)
# The client and pytest live in .venv/mesh-client, rebuilt only when the pins below change.
# Exits with pytest's status.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SPINE_ROOT"

# Pins. mesh-client is the version the Spine must stay compatible with; move it deliberately.
MESH_COMPAT_SPECS=(mesh-client==5.0.2 'pytest==8.*')
VENV="$SPINE_VENV_DIR/mesh-client"
START_TIMEOUT=${SPINE_MESH_START_TIMEOUT:-60}

# Ensures $VENV holds exactly the pinned requirements: reused while its stamp names the same pins and
# its interpreter imports them; otherwise rebuilt (one installer at a time).
ensure_venv() {
    local want="${MESH_COMPAT_SPECS[*]}"
    venv_ok() {
        [ -f "$VENV/.spine-spec" ] && [ "$(cat "$VENV/.spine-spec")" = "$want" ] &&
            "$VENV/bin/python" -c 'import mesh_client, pytest' >/dev/null 2>&1
    }
    venv_ok && return 0
    mkdir -p "$SPINE_VENV_DIR"
    local lock_fd
    if command -v flock >/dev/null 2>&1; then
        exec {lock_fd}>"$VENV.lock"
        flock "$lock_fd"
        if venv_ok; then
            exec {lock_fd}>&- # another run installed it while we waited
            return 0
        fi
    fi
    spine_log "Installing $want into ${VENV#"$SPINE_ROOT"/} ..."
    local start=$SECONDS
    spine_make_venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${MESH_COMPAT_SPECS[@]}" ||
        spine_die "pip install $want failed"
    printf '%s\n' "$want" >"$VENV/.spine-spec"
    spine_log "Installed $want in $((SECONDS - start)) s"
    if [ -n "${lock_fd:-}" ]; then exec {lock_fd}>&-; fi
}

# The suite talks to loopback servers over plain http: no CA-bundle overrides, no proxies.
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
export NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}
export no_proxy=127.0.0.1,localhost${no_proxy:+,$no_proxy}
export PYTHONDONTWRITEBYTECODE=1

run_suite() {
    local rc=0
    "$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider tests/mesh_compat "$@" || rc=$?
    return "$rc"
}

ensure_venv

if [ -n "${MESH_URL:-}" ]; then
    export MESH_URL
    export MESH_SERVER=${MESH_SERVER:-spine}
    spine_log "mesh-compat: mesh-client $("$VENV/bin/python" -c 'import mesh_client; print(mesh_client.__version__)') against $MESH_URL (MESH_SERVER=$MESH_SERVER)"
    rc=0
    run_suite "$@" || rc=$?
    exit "$rc"
fi

# ---- local Spine -------------------------------------------------------------------------------
SPINE_BIN=${SPINE_BIN:-target/debug/spine}
[ -x "$SPINE_BIN" ] || spine_die "mesh-compat: $SPINE_BIN is missing (cargo build --bin spine, or set SPINE_BIN / MESH_URL)"

WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/spine-mesh-compat.XXXXXX")
DATA_DIR="$WORK_DIR/data"
LOG_FILE="$WORK_DIR/spine.log"
mkdir -p "$DATA_DIR"
SERVER_PID=""

stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
    rm -rf "$WORK_DIR"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_log() {
    spine_log "mesh-compat: the local Spine's log ($LOG_FILE):"
    sed 's/^/  | /' "$LOG_FILE" >&2 || true
}

PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export MESH_URL="http://127.0.0.1:$PORT"
export MESH_SERVER=spine

"$SPINE_BIN" --port "$PORT" --host 127.0.0.1 --data-dir "$DATA_DIR" --patients 100 </dev/null >"$LOG_FILE" 2>&1 &
SERVER_PID=$!

# 0 once GET /messageexchange/_ping answers 200.
pinged() {
    "$VENV/bin/python" - "$MESH_URL/messageexchange/_ping" <<'EOF'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

deadline=$((SECONDS + START_TIMEOUT))
until pinged; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        spine_log "mesh-compat: the local Spine exited during start-up"
        show_log
        exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
        spine_log "mesh-compat: no 200 from $MESH_URL/messageexchange/_ping within ${START_TIMEOUT} s"
        show_log
        exit 1
    fi
    sleep 0.5
done
spine_log "mesh-compat: local Spine at $MESH_URL (pid $SERVER_PID); mesh-client $("$VENV/bin/python" -c 'import mesh_client; print(mesh_client.__version__)')"

rc=0
run_suite "$@" || rc=$?
if [ "$rc" != 0 ]; then
    show_log
fi
exit "$rc"
