#!/usr/bin/env bash
# make run: install what is missing, start PostgreSQL and NATS under .local/, build the server and
# the screens, migrate, load the demo restaurant, then serve the API and the screens with the
# relay and the projection workers in-process (until Ctrl-C). Every step says what it is doing:
# the first build takes minutes, and a silent terminal looks like a hang.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
step() { printf '\n==> %s\n' "$*"; }

step "1/5 PostgreSQL and NATS (under .local/)"
scripts/services.sh up
# shellcheck source=/dev/null
source .local/env

step "2/5 building the server (the first build compiles ~300 crates: several minutes; cargo shows its progress)"
cargo build --locked -p brigade-api --bin brigade
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
brigade="$target/debug/brigade"

step "3/5 building the screens (npm packages pinned by screens/package-lock.json; skipped when current)"
BRIGADE_BIN="$brigade" scripts/screens.sh

step "4/5 migrating and loading the demo restaurant"
"$brigade" demo

# The operations routes (/api/v1/admin/*) are the platform operator's: a token of this run's own
# unless the environment gives one.
if [ -z "${BRIGADE_OPERATOR_TOKEN:-}" ]; then
  BRIGADE_OPERATOR_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  export BRIGADE_OPERATOR_TOKEN
fi
addr="${BRIGADE_HTTP_ADDR:-127.0.0.1:8080}"
step "5/5 serving the API and the screens"
cat <<MSG
Open http://${addr/127.0.0.1/localhost}/ in a browser and sign in (password: brigade-demo):
  carl   the floor and till: take an order, send it, serve it, take the payment
  kim    the kitchen display (/kitchen/grill, /kitchen/bar... or /kitchen for the expo)
  maria  the manager: every screen, the back office first (P&L, menu engineering, stock)
  paula, sam, alex, priya: purchasing, stock, the books, processing
Operator token (Back office > Projections, and /api/v1/admin/*): $BRIGADE_OPERATOR_TOKEN
PostgreSQL: $BRIGADE_SERVER_DATABASE_URL (the server's role: it appends and reads, it cannot
            rewrite the log; migrations ran as the owner, $DATABASE_URL)
NATS:       $NATS_URL
Services keep running; 'make stop' stops them. Ctrl-C stops the server (requests in hand finish).
MSG
DATABASE_URL="$BRIGADE_SERVER_DATABASE_URL" exec "$brigade" serve
