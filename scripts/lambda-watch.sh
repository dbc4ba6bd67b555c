#!/usr/bin/env bash
# Runs the Lambda functions locally under `cargo lambda watch` (a local Lambda runtime API that builds
# and (re)starts a function on its first invocation and on code changes), on the embedded store
# (SPINE_STORE=embedded, data in .spine-data/lambda) instead of DynamoDB. Extra arguments go to
# `cargo lambda watch`. Then, from another shell (the first call builds the function, ~30 s):
#   cargo lambda invoke pds-get-patient -A 127.0.0.1 -P 9000 \
#       --data-file events/pds-get-patient/200-get-patient.json
#   curl http://127.0.0.1:9000/lambda-url/pds-get-patient/...   # function URL (API GW v2 payload)
# (`source scripts/lib.sh && spine_ensure_cargo_lambda` puts cargo-lambda on PATH in that shell.)
# Notes: the store starts empty unless seeded (the events expect the reference patients); each
# function runs as its own process, and one process at a time may open the embedded store.
#   SPINE_WATCH_ADDR (127.0.0.1), SPINE_WATCH_PORT (9000), SPINE_DATA_DIR (.spine-data/lambda)
set -euo pipefail

# Features that give each Lambda package the embedded store (add new packages' features here).
FEATURES=(spine-pds/embedded spine-sds/embedded spine-cis/embedded spine-audit/embedded spine-mesh/embedded)

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SPINE_ROOT"
spine_ensure_cargo_lambda

export SPINE_STORE=embedded
SPINE_DATA_DIR=${SPINE_DATA_DIR:-$SPINE_ROOT/.spine-data/lambda}
mkdir -p "$SPINE_DATA_DIR"
SPINE_DATA_DIR=$(cd "$SPINE_DATA_DIR" && pwd) # absolute: functions run with their own cwd
export SPINE_DATA_DIR
ADDR=${SPINE_WATCH_ADDR:-127.0.0.1}
PORT=${SPINE_WATCH_PORT:-9000}

features=$(IFS=,; echo "${FEATURES[*]}")
echo "cargo lambda watch on http://$ADDR:$PORT (store: embedded, $SPINE_DATA_DIR; features: $features)"
exec cargo lambda watch -A "$ADDR" -P "$PORT" --features "$features" \
    --env-var "SPINE_STORE=$SPINE_STORE" --env-var "SPINE_DATA_DIR=$SPINE_DATA_DIR" \
    --env-var "MESH_SHARED_KEY=${MESH_SHARED_KEY:-TestKey}" "$@"
