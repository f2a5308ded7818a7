#!/usr/bin/env bash
# Builds the screens (screens/ -> screens/dist, served by `brigade serve`) when they are missing
# or stale: installs Node.js and npm from Debian's packages if the machine has none, the
# screens' packages exactly as screens/package-lock.json pins them (npm ci, from the npm
# registry), generates the TypeScript types from the server's own OpenAPI document (so a screen
# that no longer matches the contract fails to compile), type-checks, bundles, and gzips each file
# beside itself for the server to send to browsers that take it.
#
# Needs the `brigade` binary (for its OpenAPI document): BRIGADE_BIN, else target/debug/brigade.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { echo "[screens] $*"; }

if ! command -v npm >/dev/null 2>&1; then
  say "installing Node.js and npm (Debian packages)"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

brigade="${BRIGADE_BIN:-${CARGO_TARGET_DIR:-target}/debug/brigade}"
[ -x "$brigade" ] || { say "no server binary at $brigade (cargo build first)"; exit 1; }
mkdir -p target/screens
"$brigade" openapi >target/screens/openapi.json.new
mv target/screens/openapi.json.new target/screens/openapi.json
# The build's inputs; when they hash as the last build's did, the build is current.
stamp=$(cd screens && cat package-lock.json index.html vite.config.ts tsconfig.json ../target/screens/openapi.json \
  $(find src -type f ! -name schema.ts | sort) | sha256sum | cut -c1-16)
if [ -f screens/dist/.stamp ] && [ "$(cat screens/dist/.stamp)" = "$stamp" ] && [ -f screens/dist/index.html ]; then
  say "current (build $stamp)"
  exit 0
fi
cd screens
if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  say "installing the screens' packages (npm ci, pinned by package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "building (types from the OpenAPI document, type check, bundle)"
npm run --silent build
find dist -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' \) -exec gzip -9 -k -f {} \;
echo "$stamp" >dist/.stamp
say "built: $(du -sh dist | cut -f1) in screens/dist ($(cat dist/assets/*.js.gz dist/index.html.gz | wc -c) bytes gzipped, all chunks)"
