#!/usr/bin/env bash
# make bench: benchmark figures against the local PostgreSQL, each beside the raw database's rate.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/services.sh up
# shellcheck source=/dev/null
source .local/env
cargo bench --locked -p brigade-eventstore --bench eventstore
cargo bench --locked -p brigade-projections --bench fanout
cargo bench --locked -p brigade-replay --bench replay
cargo bench --locked -p brigade-api --bench http
cargo bench --locked -p brigade-api --bench kitchen_feed
# The screens' first load, in Chromium, against a server with the demo restaurant.
scripts/chromium.sh
cargo build --locked --release -p brigade-api --bin brigade --quiet
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
BRIGADE_BIN="$target/release/brigade" scripts/screens.sh >/dev/null
db=brigade_bench_screens
psql "${DATABASE_URL%/*}/postgres" -qc "drop database if exists $db with (force)" -c "create database $db" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(
  export DATABASE_URL="${DATABASE_URL%/*}/$db" BRIGADE_HTTP_ADDR="127.0.0.1:$port"
  export BRIGADE_STREAM=BENCH_SCREENS BRIGADE_SUBJECT_PREFIX=bench.screens RUST_LOG=warn
  "$target/release/brigade" demo >/dev/null
  "$target/release/brigade" serve >/dev/null 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
  for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  cd screens && BRIGADE_URL="http://127.0.0.1:$port" node bench/first-load.mjs
)
psql "${DATABASE_URL%/*}/postgres" -qc "drop database if exists $db with (force)" >/dev/null
