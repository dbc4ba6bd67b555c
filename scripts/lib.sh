# Shared helpers for the scripts in scripts/ (sourced, not run): repo root, logging, pinned Python
# venvs under .venv/ (moto, cargo-lambda), and putting cargo-lambda on PATH.
# shellcheck shell=bash

SPINE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPINE_VENV_DIR="$SPINE_ROOT/.venv"

# Pins. Move them only after checking the new version against tooling notes.
# shellcheck disable=SC2034 # used by moto.sh
SPINE_MOTO_SPEC='moto[server]==5.2.5'
SPINE_CARGO_LAMBDA_SPEC='cargo-lambda==1.9.2'

spine_log() { printf '%s\n' "$*" >&2; }
spine_warn() { printf 'WARNING: %s\n' "$*" >&2; }
spine_die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# Runs a command as root: directly when we are root, through non-interactive sudo otherwise.
spine_as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        return 1
    fi
}

# Installs Debian packages; runs `apt-get update` first in CI (fresh images have no lists), or
# when a first attempt fails.
spine_apt_install() {
    command -v apt-get >/dev/null 2>&1 || return 1
    export DEBIAN_FRONTEND=noninteractive
    if [ "${CI:-}" = true ]; then
        spine_as_root apt-get update -qq || return 1
        spine_as_root apt-get install -y -qq "$@"
    else
        spine_as_root apt-get install -y -qq "$@" ||
            { spine_as_root apt-get update -qq && spine_as_root apt-get install -y -qq "$@"; }
    fi
}

# Creates a bare venv at $1 with python3, installing python3-venv from apt when (and only when)
# `python3 -m venv` fails for lack of ensurepip.
spine_make_venv() {
    local dir=$1
    command -v python3 >/dev/null 2>&1 || spine_die "python3 is not installed"
    rm -rf "$dir"
    if python3 -m venv "$dir" >/dev/null 2>&1; then
        return 0
    fi
    rm -rf "$dir"
    if python3 -c 'import ensurepip' >/dev/null 2>&1; then
        python3 -m venv "$dir" # ensurepip is there, so this failed for another reason: show it
        return $?
    fi
    spine_log "python3 -m venv needs ensurepip; installing python3-venv with apt-get"
    spine_apt_install python3-venv || spine_die "could not install python3-venv (run: apt-get install -y python3-venv)"
    python3 -m venv "$dir"
}

# Ensures a working venv at $1 holding the pip requirement $2 (name==version), reusing it when its
# stamp names the same requirement, its interpreter runs and the distribution has that version.
spine_ensure_venv() {
    local dir=$1 spec=$2
    local dist=${spec%%==*}
    dist=${dist%%\[*}
    local version=${spec##*==}
    if [ -f "$dir/.spine-spec" ] && [ "$(cat "$dir/.spine-spec")" = "$spec" ] &&
        "$dir/bin/python" -c 'import sys,importlib.metadata as m; sys.exit(m.version(sys.argv[1]) != sys.argv[2])' \
            "$dist" "$version" >/dev/null 2>&1; then
        return 0
    fi
    # One installer at a time (concurrent first runs would otherwise rebuild the same venv).
    mkdir -p "$(dirname "$dir")"
    local lock_fd
    if command -v flock >/dev/null 2>&1; then
        exec {lock_fd}>"$dir.lock"
        flock "$lock_fd"
        if [ -f "$dir/.spine-spec" ] && [ "$(cat "$dir/.spine-spec")" = "$spec" ] &&
            "$dir/bin/python" -c 'import sys' >/dev/null 2>&1; then
            exec {lock_fd}>&- # another run installed it while we waited
            return 0
        fi
    fi
    spine_log "Installing $spec into ${dir#"$SPINE_ROOT"/} ..."
    local start=$SECONDS
    rm -f "$dir/.spine-spec"
    spine_make_venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$spec" ||
        spine_die "pip install $spec failed"
    printf '%s\n' "$spec" >"$dir/.spine-spec"
    spine_log "Installed $spec in $((SECONDS - start)) s"
    if [ -n "${lock_fd:-}" ]; then exec {lock_fd}>&-; fi
}

# Makes `cargo lambda` available: keeps one already on PATH, else installs the pinned cargo-lambda
# (with ziglang, its cross linker) into .venv/cargo-lambda and puts that venv's bin first on PATH.
spine_ensure_cargo_lambda() {
    if [ -z "${SPINE_FORCE_VENV_CARGO_LAMBDA:-}" ] && command -v cargo-lambda >/dev/null 2>&1; then
        return 0
    fi
    spine_ensure_venv "$SPINE_VENV_DIR/cargo-lambda" "$SPINE_CARGO_LAMBDA_SPEC"
    # The venv's python3 must come first too: cargo-lambda finds zig through `python3 -m ziglang`.
    export PATH="$SPINE_VENV_DIR/cargo-lambda/bin:$PATH"
    command -v cargo-lambda >/dev/null 2>&1 || spine_die "cargo-lambda is not on PATH after installing it"
}
