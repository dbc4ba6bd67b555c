#!/usr/bin/env bash
# Release builds of every Lambda binary with cargo-lambda into target/lambda/<bin>/bootstrap (what the
# CDK stack deploys): arm64 (Graviton, as the stack declares), falling back to x86_64 with a warning
# when the aarch64 target can't be added or the arm64 build fails. Prints each bootstrap's size and
# architecture and fails if one exceeds its budget — 4 MiB, or 5.5 MiB for a function that links the
# S3 client (S3_FUNCTIONS below) — unless SPINE_ALLOW_LARGE=1.
#   SPINE_LAMBDA_ARCH=x86_64   build x86_64 directly (local experiments only; the stack is arm64)
#   SPINE_REQUIRE_ARM64=1      fail instead of falling back to x86_64 (use before deploying)
set -euo pipefail

# The crates holding Lambda binaries; every bin target of these is a function.
PACKAGES=(spine-pds spine-sds spine-cis spine-audit spine-mesh spine-eps)

MAX_BYTES=4194304 # 4 MiB
# The functions that link the S3 client: the MESH routes that read or write chunk bytes
# (MeshRoute::touches_chunks; a test in spine-mesh keeps this list equal to it). aws-sdk-s3 adds
# ~1.1 MiB to a binary, 0.65 MiB of it crc-fast's CRC lookup tables (50 of them; S3's checksums use
# 3 — unreachable, but referenced from a runtime match, so no linker drops them: upstream
# awesomized/crc-fast-rust#61). They get a budget of their own; every other function keeps 4 MiB.
S3_FUNCTIONS=(mesh-download mesh-head-message mesh-download-chunk mesh-send mesh-send-chunk)
S3_MAX_BYTES=5767168 # 5.5 MiB
ARM64_TARGET=aarch64-unknown-linux-gnu

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SPINE_ROOT"
LAMBDA_DIR="${CARGO_TARGET_DIR:-$SPINE_ROOT/target}/lambda"

spine_ensure_cargo_lambda
echo "cargo-lambda: $(cargo lambda --version 2>&1 | head -n1)"

pkg_args=()
for p in "${PACKAGES[@]}"; do pkg_args+=(-p "$p"); done

# The bin targets of PACKAGES, from cargo metadata (no build, no network).
BINS=()
while IFS= read -r bin; do BINS+=("$bin"); done < <(
    cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
wanted = set(sys.argv[1:])
for pkg in json.load(sys.stdin)["packages"]:
    if pkg["name"] in wanted:
        for t in pkg["targets"]:
            if "bin" in t["kind"]:
                print(t["name"])
' "${PACKAGES[@]}"
)
[ "${#BINS[@]}" -gt 0 ] || spine_die "no bin targets in ${PACKAGES[*]}"

have_arm64_target() {
    if ! command -v rustup >/dev/null 2>&1; then
        return 0 # not rustup-managed: let the build tell
    fi
    rustup target list --installed 2>/dev/null | grep -qx "$ARM64_TARGET" && return 0
    echo "Adding the $ARM64_TARGET target with rustup ..."
    rustup target add "$ARM64_TARGET"
}

# Size: the release-lambda profile (opt-level "z" on top of release's LTO, one codegen unit,
# strip, panic=abort), and no unwind tables (panics abort; nothing unwinds).
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS:-} -C force-unwind-tables=no"
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="${CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS:-} -C force-unwind-tables=no"

arch=""
start=$SECONDS
if [ "${SPINE_LAMBDA_ARCH:-arm64}" = arm64 ]; then
    if ! have_arm64_target; then
        spine_warn "could not add the $ARM64_TARGET target"
    elif cargo lambda build --profile release-lambda --arm64 "${pkg_args[@]}"; then
        arch=arm64
    else
        spine_warn "the arm64 build failed"
    fi
    if [ -z "$arch" ]; then
        [ "${SPINE_REQUIRE_ARM64:-}" = 1 ] && spine_die "arm64 build impossible and SPINE_REQUIRE_ARM64=1"
        spine_warn "falling back to an x86_64 build"
    fi
fi
if [ -z "$arch" ]; then
    cargo lambda build --profile release-lambda --x86-64 "${pkg_args[@]}"
    arch=x86_64
fi
echo "Built (${arch}) in $((SECONDS - start)) s"

# ELF e_machine (bytes 18-19, little endian): 183 aarch64, 62 x86_64.
elf_arch() {
    case "$(od -An -tu2 -j18 -N2 "$1" | tr -d ' ')" in
    183) echo arm64 ;;
    62) echo x86_64 ;;
    *) echo unknown ;;
    esac
}

echo
printf '%-32s %-7s %12s %9s\n' FUNCTION ARCH BYTES MIB
too_large=()
problems=0
for bin in "${BINS[@]}"; do
    f="$LAMBDA_DIR/$bin/bootstrap"
    if [ ! -f "$f" ]; then
        printf '%-32s %s\n' "$bin" "MISSING: $f"
        problems=$((problems + 1))
        continue
    fi
    bytes=$(stat -c %s "$f")
    a=$(elf_arch "$f")
    printf '%-32s %-7s %12s %9s\n' "$bin" "$a" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }')"
    if [ "$a" != "$arch" ]; then
        spine_warn "$bin: bootstrap is $a, expected $arch"
        problems=$((problems + 1))
    fi
    limit=$MAX_BYTES
    if [[ " ${S3_FUNCTIONS[*]} " == *" $bin "* ]]; then limit=$S3_MAX_BYTES; fi
    [ "$bytes" -le "$limit" ] || too_large+=("$bin")
done

# Functions of the route table with no build (their packages are not in PACKAGES yet): the stack
# gives them the failing placeholder.
missing_routes=$(python3 -c '
import json, os, sys
lambda_dir = sys.argv[1]
for name in sorted({r["function"] for r in json.load(open("shared/routes.json"))["routes"]}):
    if not os.path.isfile(os.path.join(lambda_dir, name, "bootstrap")):
        print(name)
' "$LAMBDA_DIR")
if [ -n "$missing_routes" ]; then
    spine_warn "route-table functions without a build (the stack would deploy the placeholder):"
    while IFS= read -r name; do echo "  $name" >&2; done <<<"$missing_routes"
fi

if [ "$arch" != arm64 ]; then
    spine_warn "these are x86_64 binaries; the CDK stack declares arm64 Lambdas: do not deploy them"
fi
if [ "${#too_large[@]}" -gt 0 ]; then
    if [ "${SPINE_ALLOW_LARGE:-}" = 1 ]; then
        spine_warn "over budget (allowed by SPINE_ALLOW_LARGE=1): ${too_large[*]}"
    else
        spine_die "over budget (4 MiB; 5.5 MiB for S3_FUNCTIONS): ${too_large[*]} (SPINE_ALLOW_LARGE=1 to allow)"
    fi
fi
[ "$problems" = 0 ] || spine_die "$problems problem(s) with the built bootstraps (see above)"
echo "Built ${#BINS[@]} function(s) for $arch into ${LAMBDA_DIR#"$SPINE_ROOT"/}/"
