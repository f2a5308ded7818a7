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
# Each integration test creates its own database (brigade_t_<test>_<id>). A passing run drops
# them; a failing run keeps them for a look, and the next passing run drops them.
status=0
cargo test --locked --workspace "$@" || status=$?
# The API contract from outside: schemathesis against the served /openapi.json (issue 16). Only
# for the whole suite: a run narrowed by arguments is someone looking at a few tests.
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ]; then
  scripts/contract.sh || status=$?
fi
# The screens in a real browser (issue 17): Chromium through the served pages alone.
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ]; then
  scripts/browser.sh || status=$?
fi
if [ "$status" -eq 0 ]; then
  # Tidying up never changes the suite's result.
  { psql "$DATABASE_URL" -Atc "select datname from pg_database where datname like 'brigade\_t\_%'" |
    while read -r db; do
      psql "$DATABASE_URL" -qc "drop database if exists \"$db\"" >/dev/null 2>&1 || echo "[test] could not drop $db" >&2
    done; } || echo "[test] could not list the tests' databases to drop them" >&2
else
  echo "[test] failed; the tests' databases (brigade_t_*) are kept for a look" >&2
fi
exit "$status"
