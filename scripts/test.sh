#!/usr/bin/env bash
# make test: the whole suite against real PostgreSQL and NATS, started the same way as make run.
# Services this script started are stopped at the end; services that were already running stay.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if scripts/services.sh running 2>/dev/null; then started=no; else started=yes; fi
scripts/services.sh up
[ "$started" = yes ] && trap 'scripts/services.sh down' EXIT
# shellcheck source=/dev/null
source .local/env
cargo test --locked --workspace "$@"
