#!/usr/bin/env bash
# The screens' first load (issue 17), part of make bench: the release server with the demo
# restaurant on a database of its own, and Chromium loading a kitchen screen with an empty cache
# (screens/bench/first-load.mjs). Needs the services up (make bench starts them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=/dev/null
source .local/env
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
