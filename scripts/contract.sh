#!/usr/bin/env bash
# The API contract, checked from outside (issue 16): schemathesis, pinned in
# scripts/contract/requirements.txt (hashes included), runs every operation of the served
# /openapi.json against a real server (its own database, the demo restaurant loaded, workers
# running), authenticated as the demo's administrator, through all its phases (examples,
# coverage, fuzzing, stateful). It must find nothing: no 5xx, no status code, content type,
# header or body the document does not declare.
#
# Run by scripts/test.sh after the cargo suite, with the services up and .local/env sourced.
# CONTRACT_MAX_EXAMPLES (default 25) bounds the cases per operation and phase.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=/dev/null
source .local/env

venv=.local/contract-venv
if ! cmp -s scripts/contract/requirements.txt "$venv/requirements.txt" 2>/dev/null; then
  echo "[contract] installing schemathesis (scripts/contract/requirements.txt)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r scripts/contract/requirements.txt
  cp scripts/contract/requirements.txt "$venv/requirements.txt"
fi

cargo build --locked --workspace --bins --quiet
brigade="${CARGO_TARGET_DIR:-target}/debug/brigade"

# A database and a JetStream stream of its own, so the run touches nothing else.
db=brigade_contract
admin_url="${DATABASE_URL%/*}/postgres"
psql "$admin_url" -qc "drop database if exists $db with (force)" -c "create database $db" >/dev/null
export DATABASE_URL="${DATABASE_URL%/*}/$db"
export BRIGADE_STREAM=CONTRACT_EVENTS BRIGADE_SUBJECT_PREFIX=contract.events
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export BRIGADE_HTTP_ADDR="127.0.0.1:$port"
export BRIGADE_OPERATOR_TOKEN=contract-operator-token
# The limiter would only answer 429 to a fuzzer's burst; the contract is what is under test.
export BRIGADE_RATE_LIMIT=100000 BRIGADE_RATE_BURST=100000
base="http://127.0.0.1:$port"

"$brigade" demo >/dev/null
log=.local/contract-serve.log
"$brigade" serve >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -fsS "$base/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/health/ready" >/dev/null || { echo "[contract] the server did not become ready:"; tail -20 "$log"; exit 1; }

token=$(curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username": "root", "password": "brigade-demo"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
# One pass per need: every operation through examples, coverage and fuzzing; the stateful phase
# (chains of calls along the links schemathesis infers, e.g. an id a POST answers into the GET of
# it) with room for long chains; the operator's routes with the operator's token.
passes=(
  "users|Authorization: Bearer $token|examples,coverage,fuzzing|${CONTRACT_MAX_EXAMPLES:-25}|"
  "stateful|Authorization: Bearer $token|stateful|${CONTRACT_STATEFUL_EXAMPLES:-300}|"
  "operator|Authorization: Bearer $BRIGADE_OPERATOR_TOKEN|examples,coverage,fuzzing|${CONTRACT_MAX_EXAMPLES:-25}|/api/v1/admin/"
)
# One worker: schemathesis runs workers as threads, and CPython 3.11 (the machine's) can fail
# parsing source in two threads at once ("AST constructor recursion depth mismatch", a race in
# the AST module fixed in later CPython releases), which crashed a pass once in a clean-clone
# run. Measured: the first pass took 106 s with one worker, 93-112 s with two.
status=0
for pass in "${passes[@]}"; do
  IFS='|' read -r name header phases examples only <<<"$pass"
  filter=()
  [ -n "$only" ] && filter=(--include-path-regex "^$only")
  echo "[contract] $name: $phases, up to $examples cases per operation"
  # shellcheck disable=SC2086
  "$venv/bin/st" run "$base/openapi.json" \
    --header "$header" \
    --checks "$checks" \
    --phases "$phases" \
    --max-examples "$examples" \
    --seed "${CONTRACT_SEED:-16}" \
    --workers 1 \
    --report junit --report-dir ".local/contract-report/$name" \
    --warnings off \
    "${filter[@]}" ${CONTRACT_ARGS:-} \
    || status=$?
done
if [ "$status" -ne 0 ]; then
  echo "[contract] schemathesis found failures (above); the server's log is $log" >&2
fi
exit "$status"
