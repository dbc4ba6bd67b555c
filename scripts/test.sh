#!/usr/bin/env bash
# THE test command (README, .ci/run): installs what the tests need on a fresh machine and runs every
# test, failing on any failure.
#   rust:  cargo fmt --check, cargo clippy -D warnings, cargo test (all targets, then doctests) with a
#          local moto server (scripts/moto.sh) for the AWS adapter tests: SPINE_TEST_MOTO_URL
#   cdk:   npm ci (skipped while node_modules matches package-lock.json), build, test, synth
# Every step runs even if an earlier one failed (except those that depend on it); the exit status is
# non-zero if any step failed. Quick local loops (ignored when CI=true):
#   SPINE_SKIP_LINT=1 (fmt + clippy), SPINE_SKIP_FMT=1, SPINE_SKIP_CLIPPY=1, SPINE_SKIP_RUST=1,
#   SPINE_SKIP_CDK=1
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SPINE_ROOT"

export CARGO_PROFILE_DEV_DEBUG=0
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-auto}
if [ "${CI:-}" = true ]; then
    export CARGO_INCREMENTAL=0 # a fresh clone gains nothing from incremental artifacts
fi
LOCKED=()
[ -f Cargo.lock ] && LOCKED=(--locked)

# ---- bookkeeping -------------------------------------------------------------------------------
STEP_NAMES=()
STEP_RESULTS=()
STEP_SECONDS=()
RUN_START=$SECONDS

section() { printf '\n==== %s ====\n' "$*"; }

record() { # NAME RESULT SECONDS
    STEP_NAMES+=("$1")
    STEP_RESULTS+=("$2")
    STEP_SECONDS+=("$3")
}

# Runs one step: prints its header, runs the command, records PASS/FAIL and its duration.
# Step functions must propagate failures themselves (set -e does not apply inside them here).
run_step() { # NAME COMMAND...
    local name=$1
    shift
    section "$name"
    local start=$SECONDS rc=0
    "$@" || rc=$?
    if [ "$rc" = 0 ]; then
        record "$name" PASS $((SECONDS - start))
    else
        printf -- '---- %s FAILED (exit %s)\n' "$name" "$rc"
        record "$name" FAIL $((SECONDS - start))
    fi
    return "$rc"
}

skip_step() { # NAME REASON
    section "$1"
    echo "skipped: $2"
    record "$1" "SKIP ($2)" 0
}

fail_step() { # NAME REASON: a required step that cannot run
    section "$1"
    echo "not run: $2"
    record "$1" "FAIL ($2)" 0
}

skipping() { # VAR: true when $VAR=1 asks to skip (never in CI)
    [ "${!1:-}" = 1 ] && [ "${CI:-}" != true ]
}

# ---- services: moto ----------------------------------------------------------------------------
# This run's own server in its own slot (.venv/moto-test.<pid>.*), never shared with a developer's
# `scripts/moto.sh start` or another concurrent run, and stopped by its own PID on exit.
MOTO_ENV=""
MOTO_STATE="$SPINE_VENV_DIR/moto-test.$$"
stop_services() {
    if [ -f "$MOTO_STATE.pid" ]; then
        SPINE_MOTO_STATE=$MOTO_STATE bash scripts/moto.sh stop || true
    fi
    if [ -f "$MOTO_STATE.log" ]; then
        mv -f "$MOTO_STATE.log" "$SPINE_VENV_DIR/moto-test.last.log" 2>/dev/null || true
    fi
}
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Stops servers left by runs that were killed before their EXIT trap (their test.sh is gone).
sweep_orphans() {
    local f owner
    for f in "$SPINE_VENV_DIR"/moto-test.*.pid; do
        [ -e "$f" ] || continue
        owner=${f%.pid}
        owner=${owner##*.}
        if [ "$owner" != $$ ] && ! kill -0 "$owner" 2>/dev/null; then
            SPINE_MOTO_STATE=${f%.pid} bash scripts/moto.sh stop || true
            rm -f "${f%.pid}.log"
        fi
    done
}

start_moto() {
    sweep_orphans
    SPINE_MOTO_STATE=$MOTO_STATE bash scripts/moto.sh start || return 1
    MOTO_ENV=$(SPINE_MOTO_STATE=$MOTO_STATE bash scripts/moto.sh env) || return 1
    printf '%s\n' "$MOTO_ENV" | grep '^export SPINE_TEST_MOTO_URL='
}

# ---- rust --------------------------------------------------------------------------------------
ensure_component() { # COMPONENT CARGO-SUBCOMMAND
    cargo "$2" --version >/dev/null 2>&1 && return 0
    command -v rustup >/dev/null 2>&1 || {
        echo "cargo $2 is missing and rustup is not available" >&2
        return 1
    }
    rustup component add "$1"
}

rust_fmt() {
    ensure_component rustfmt fmt || return 1
    cargo fmt --all -- --check
}

rust_clippy() {
    ensure_component clippy clippy || return 1
    cargo clippy --workspace --all-targets ${LOCKED[@]+"${LOCKED[@]}"} -- -D warnings
}

# Test commands run with the moto exports (SPINE_TEST_MOTO_URL, test credentials, region).
with_moto_env() {
    (
        eval "$MOTO_ENV" || exit 1
        exec "$@"
    )
}

rust_test() {
    with_moto_env cargo test --workspace --all-targets ${LOCKED[@]+"${LOCKED[@]}"}
}

# `--all-targets` leaves out doctests; they run here (cheap: they reuse the libraries just built).
rust_doctest() {
    with_moto_env cargo test --workspace --doc ${LOCKED[@]+"${LOCKED[@]}"}
}

# ---- cdk ---------------------------------------------------------------------------------------
cdk_install() {
    local want
    want=$({ sha256sum infra-cdk/package-lock.json && node --version; } | sha256sum | cut -d' ' -f1) || return 1
    if [ -f infra-cdk/node_modules/.lock-hash ] && [ "$(cat infra-cdk/node_modules/.lock-hash)" = "$want" ]; then
        echo "infra-cdk/node_modules matches package-lock.json: npm ci skipped"
        return 0
    fi
    (cd infra-cdk && npm ci --no-audit --no-fund) || return 1
    echo "$want" >infra-cdk/node_modules/.lock-hash
}

cdk_run() { # SCRIPT
    (cd infra-cdk && npm run --silent "$1")
}

# ---- run ---------------------------------------------------------------------------------------
section "toolchain"
for tool in cargo rustc node npm python3; do
    if command -v "$tool" >/dev/null 2>&1; then
        printf '%-8s %s\n' "$tool" "$("$tool" --version 2>&1 | head -n1)"
    else
        printf '%-8s MISSING\n' "$tool"
    fi
done
if [ "${CI:-}" = true ]; then
    echo "CI=true: every step runs (SPINE_SKIP_* ignored)"
fi

if skipping SPINE_SKIP_RUST; then
    skip_step "rust: fmt" "SPINE_SKIP_RUST=1"
    skip_step "rust: clippy" "SPINE_SKIP_RUST=1"
    skip_step "moto: start" "SPINE_SKIP_RUST=1"
    skip_step "rust: test" "SPINE_SKIP_RUST=1"
    skip_step "rust: doctest" "SPINE_SKIP_RUST=1"
else
    if skipping SPINE_SKIP_LINT; then
        skip_step "rust: fmt" "SPINE_SKIP_LINT=1"
    elif skipping SPINE_SKIP_FMT; then
        skip_step "rust: fmt" "SPINE_SKIP_FMT=1"
    else
        run_step "rust: fmt" rust_fmt || true
    fi
    if skipping SPINE_SKIP_LINT; then
        skip_step "rust: clippy" "SPINE_SKIP_LINT=1"
    elif skipping SPINE_SKIP_CLIPPY; then
        skip_step "rust: clippy" "SPINE_SKIP_CLIPPY=1"
    else
        run_step "rust: clippy" rust_clippy || true
    fi
    # Started after clippy, just before the tests that use it; the AWS adapter tests are required,
    # so no moto means a failed run, never skipped tests.
    if run_step "moto: start" start_moto; then
        run_step "rust: test" rust_test || true
        run_step "rust: doctest" rust_doctest || true
        # NHS England's mesh-client (PyPI) against the local Spine binary the tests just built.
        run_step "mesh: compat" bash scripts/mesh-compat.sh || true
    else
        fail_step "rust: test" "moto did not start"
        fail_step "rust: doctest" "moto did not start"
    fi
fi

if skipping SPINE_SKIP_CDK; then
    for s in "npm ci" build test synth; do skip_step "cdk: $s" "SPINE_SKIP_CDK=1"; done
elif run_step "cdk: npm ci" cdk_install; then
    run_step "cdk: build" cdk_run build || true
    run_step "cdk: test" cdk_run test || true
    run_step "cdk: synth" cdk_run synth || true
else
    for s in build test synth; do fail_step "cdk: $s" "npm ci failed"; done
fi

# ---- summary -----------------------------------------------------------------------------------
section "summary"
failed=()
skipped=0
for i in "${!STEP_NAMES[@]}"; do
    printf '  %-16s %-28s %4ss\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}" "${STEP_SECONDS[$i]}"
    case "${STEP_RESULTS[$i]}" in
    FAIL*) failed+=("${STEP_NAMES[$i]}") ;;
    SKIP*) skipped=$((skipped + 1)) ;;
    esac
done
total=$((SECONDS - RUN_START))
elapsed="$((total / 60))m$((total % 60))s"
if [ "${#failed[@]}" -gt 0 ]; then
    list=$(printf '%s, ' "${failed[@]}")
    echo "test.sh: FAILED (${list%, }) in $elapsed"
    exit 1
fi
if [ "$skipped" -gt 0 ]; then
    echo "test.sh: PASSED with $skipped step(s) skipped in $elapsed"
else
    echo "test.sh: PASSED, all ${#STEP_NAMES[@]} steps, in $elapsed"
fi
