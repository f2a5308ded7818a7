#!/usr/bin/env bash
# make run: install what is missing, start PostgreSQL and NATS under .local/, migrate, load the demo
# restaurant, then run the relay and the projection workers that build the read models from it
# (until Ctrl-C). The REST API's `serve` joins this script with issue #4.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/services.sh up
# shellcheck source=/dev/null
source .local/env
cargo run --locked --quiet -p brigade-api --bin brigade -- demo
echo
echo "PostgreSQL: $DATABASE_URL"
echo "NATS:       $NATS_URL"
echo "Services keep running; 'make stop' stops them. 'source .local/env' gives a shell the URLs."
echo "Now publishing the events to NATS and building the read models (kitchen_queue, stock, sales);"
echo "Ctrl-C stops the workers (they finish the batch in hand)."
exec cargo run --locked --quiet -p brigade-projections --bin brigade-worker -- all
