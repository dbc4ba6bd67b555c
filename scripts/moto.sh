#!/usr/bin/env bash
# Runs a local moto server (real AWS APIs on loopback) for the AWS adapter tests.
#   scripts/moto.sh start   install moto into .venv/moto if needed, start it on a free port, wait
#                           until it answers; records .venv/moto.pid and .venv/moto.url
#                           (a running, answering server is reused, not restarted)
#   scripts/moto.sh stop    stop the recorded server (by its own PID)
#   scripts/moto.sh env     print the exports the tests need: eval "$(scripts/moto.sh env)"
#   scripts/moto.sh status  exit 0 if the recorded server answers
#   scripts/moto.sh reset   drop all of its state (POST /moto-api/reset)
# SPINE_MOTO_STATE=PREFIX names another server slot (PREFIX.pid/.url/.log); scripts/test.sh runs its
# own private server that way, so concurrent runs never share or stop each other's server.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VENV="$SPINE_VENV_DIR/moto"
STATE=${SPINE_MOTO_STATE:-$SPINE_VENV_DIR/moto}
PID_FILE="$STATE.pid"
URL_FILE="$STATE.url"
LOG_FILE="$STATE.log"
START_TIMEOUT=${SPINE_MOTO_START_TIMEOUT:-20}

# HTTP request to the server with the venv's Python (no curl needed, no proxies, no CA bundles).
http() { # METHOD URL
    "$VENV/bin/python" - "$1" "$2" <<'EOF'
import sys, urllib.request
req = urllib.request.Request(sys.argv[2], method=sys.argv[1], data=b"" if sys.argv[1] == "POST" else None)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(req, timeout=2) as r:
        sys.exit(0 if r.status < 400 else 1)
except Exception:
    sys.exit(1)
EOF
}

# True when $1 is a live process whose command line is our moto_server.
is_moto_pid() {
    [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q moto_server
}

recorded_pid() { cat "$PID_FILE" 2>/dev/null || true; }
recorded_url() { cat "$URL_FILE" 2>/dev/null || true; }

answering() {
    local pid url
    pid=$(recorded_pid)
    url=$(recorded_url)
    is_moto_pid "$pid" && [ -n "$url" ] && [ -x "$VENV/bin/python" ] && http GET "$url/moto-api/"
}

cmd_stop() {
    local pid
    pid=$(recorded_pid)
    if is_moto_pid "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        spine_log "moto: stopped (pid $pid)"
    fi
    rm -f "$PID_FILE" "$URL_FILE"
}

cmd_start() {
    if answering; then
        spine_log "moto: already running at $(recorded_url) (pid $(recorded_pid))"
        return 0
    fi
    cmd_stop # a stale record, or a server that no longer answers
    mkdir -p "$SPINE_VENV_DIR" "$(dirname "$STATE")"
    spine_ensure_venv "$VENV" "$SPINE_MOTO_SPEC"
    [ -x "$VENV/bin/moto_server" ] || spine_die "moto: $VENV/bin/moto_server is missing"

    : >"$LOG_FILE"
    # Its own session (setsid) so a Ctrl-C meant for a later foreground command does not reach it;
    # the subshell is not a process-group leader, so setsid execs in place and $! is moto's PID.
    # moto makes no outbound calls; drop the CA-bundle overrides anyway.
    (
        unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
        cd "$SPINE_VENV_DIR"
        if command -v setsid >/dev/null 2>&1; then
            exec setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p 0
        fi
        exec "$VENV/bin/moto_server" -H 127.0.0.1 -p 0
    ) </dev/null >>"$LOG_FILE" 2>&1 &
    local pid=$!
    echo "$pid" >"$PID_FILE"

    local url="" deadline=$((SECONDS + START_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            spine_log "moto: the server exited during start-up; its log ($LOG_FILE):"
            sed 's/^/  | /' "$LOG_FILE" >&2
            rm -f "$PID_FILE"
            return 1
        fi
        url=$(grep -o 'Running on http://127\.0\.0\.1:[0-9]*' "$LOG_FILE" | head -n1 | sed 's/^Running on //' || true)
        if [ -n "$url" ] && http GET "$url/moto-api/"; then
            echo "$url" >"$URL_FILE"
            spine_log "moto: running at $url (pid $pid, log ${LOG_FILE#"$SPINE_ROOT"/})"
            return 0
        fi
        sleep 0.2
    done
    spine_log "moto: no answer within ${START_TIMEOUT} s; its log ($LOG_FILE):"
    sed 's/^/  | /' "$LOG_FILE" >&2
    cmd_stop
    return 1
}

cmd_env() {
    answering || spine_die "moto is not running (scripts/moto.sh start)"
    cat <<EOF
export SPINE_TEST_MOTO_URL=$(recorded_url)
export AWS_REGION=eu-west-2
export AWS_DEFAULT_REGION=eu-west-2
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
export NO_PROXY=127.0.0.1,localhost\${NO_PROXY:+,\$NO_PROXY}
export no_proxy=127.0.0.1,localhost\${no_proxy:+,\$no_proxy}
EOF
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env ;;
status)
    if answering; then
        echo "moto: running at $(recorded_url) (pid $(recorded_pid))"
    else
        echo "moto: not running"
        exit 1
    fi
    ;;
reset)
    answering || spine_die "moto is not running"
    http POST "$(recorded_url)/moto-api/reset" || spine_die "moto: reset failed"
    ;;
*)
    echo "usage: $0 start|stop|env|status|reset" >&2
    exit 2
    ;;
esac
