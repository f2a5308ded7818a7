#!/usr/bin/env bash
# make run: install what is missing, start PostgreSQL and NATS under .local/, migrate, load the demo
# restaurant. (The REST API's `serve` joins this script with issue #4.)
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
