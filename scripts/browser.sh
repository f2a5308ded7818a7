#!/usr/bin/env bash
# The screens in a real browser (issue 17): Debian's Chromium (installed here when missing), driven
# by playwright-core from screens/tests, against real `brigade serve` processes on a database of
# their own with the demo restaurant loaded. Screenshots are kept in screens/test-results/.
#
# Run by scripts/test.sh after the cargo suite, with the services up and .local/env sourced.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=/dev/null
source .local/env
say() { echo "[browser] $*"; }

scripts/chromium.sh
say "$(chromium --version 2>/dev/null | head -1)"

cargo build --locked --workspace --bins --quiet
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
brigade="$target/debug/brigade"
BRIGADE_BIN="$brigade" scripts/screens.sh

# A database and a JetStream stream of their own, so the run touches nothing else.
db=brigade_browser
admin_url="${DATABASE_URL%/*}/postgres"
psql "$admin_url" -qc "drop database if exists $db with (force)" -c "create database $db" >/dev/null
export DATABASE_URL="${DATABASE_URL%/*}/$db"
export BRIGADE_STREAM=BROWSER_EVENTS BRIGADE_SUBJECT_PREFIX=browser.events
export BRIGADE_OPERATOR_TOKEN=browser-operator-token
"$brigade" demo >/dev/null
# The servers under test connect as `make run`'s does: a role that appends and reads, and owns
# nothing (migrations/0013_roles.sql); the owner only migrated and loaded the demo.
if [ -n "${BRIGADE_SERVER_DATABASE_URL:-}" ]; then
  export DATABASE_URL="${BRIGADE_SERVER_DATABASE_URL%/*}/$db"
fi
rm -rf screens/test-results
cd screens
BRIGADE_BIN="$brigade" node --test --test-concurrency=1 --test-reporter=spec tests/
