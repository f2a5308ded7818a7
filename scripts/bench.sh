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
scripts/bench-screens.sh
