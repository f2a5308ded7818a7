#!/usr/bin/env bash
# Makes sure Debian's Chromium and ChromeDriver are installed (the browser tests and the screens'
# benchmark drive them; nothing downloads a browser of its own).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
echo "[chromium] installing Debian's chromium and chromium-driver"
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null 2>&1 || {
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
}
