#!/usr/bin/env bash
# Audit writer benchmark (issue target: >= 10,000 events/s on the embedded store): builds the
# audit messages of a mix of PDS reads (1 event) and searches (50 events), then times the writer
# alone (AuditWriter::write, 100 messages a write) and end to end through the embedded queue
# (drain: receive, write, delete), printing events/s. Data goes to a temporary directory on the
# same disk as the repository (SPINE_BENCH_DIR, default bench/.data/audit), fsync costs included.
#   bench/audit_writer.sh                            200,000 events, half of them from searches
#   bench/audit_writer.sh --events 50000 --search-share 0.9
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DIR=${SPINE_BENCH_DIR:-bench/.data}/audit
rm -rf "$DIR"
mkdir -p "$DIR"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo run --release -q -p spine-audit --no-default-features --features embedded --example audit_writer_bench -- --dir "$DIR" "$@"
rm -rf "$DIR"
