#!/usr/bin/env bash
# make run: install what is missing, start PostgreSQL and NATS under .local/, migrate, load the demo
# restaurant, then serve HTTP with the relay and the projection workers running in-process (until
# Ctrl-C), so the read models are built from the demo's events.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/services.sh up
# shellcheck source=/dev/null
source .local/env
cargo run --locked --quiet -p brigade-api --bin brigade -- demo
# The operations routes (/api/v1/admin/*) are the platform operator's: a token of this run's own
# unless the environment gives one.
if [ -z "${BRIGADE_OPERATOR_TOKEN:-}" ]; then
  BRIGADE_OPERATOR_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  export BRIGADE_OPERATOR_TOKEN
fi
echo
echo "Operator token (BRIGADE_OPERATOR_TOKEN, for /api/v1/admin/*): $BRIGADE_OPERATOR_TOKEN"
echo "PostgreSQL: $DATABASE_URL"
echo "NATS:       $NATS_URL"
echo "Services keep running; 'make stop' stops them. 'source .local/env' gives a shell the URLs."
echo "Now serving HTTP (health, readiness, metrics), publishing the events to NATS and building the"
echo "read models (kitchen_queue, stock, sales); Ctrl-C stops (requests and batches in hand finish)."
exec cargo run --locked --quiet -p brigade-api --bin brigade -- serve
