#!/usr/bin/env bash
# What the page tests need: Debian's Chromium (Playwright drives it; no browser download) and
# axe-core (the accessibility engine the workplace suite injects into each page), packed from
# npm into $CIVIC_STATE/axe-core/axe.min.js. The file's path: `deploy/local/browser.sh axe`.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
CIVIC_STATE=${CIVIC_STATE:-$REPO_ROOT/.state}
AXE_VERSION=4.14.1
AXE_DIR="$CIVIC_STATE/axe-core"
AXE_FILE="$AXE_DIR/axe.min.js"

if [[ ${1:-} == axe ]]; then
  echo "$AXE_FILE"
  exit 0
fi

if ! command -v chromium >/dev/null; then
  [[ $(id -u) -eq 0 ]] || { echo "browser: chromium missing; run as root or: apt-get install chromium" >&2; exit 1; }
  echo "browser: installing chromium from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if [[ ! -f $AXE_FILE || $(cat "$AXE_DIR/version" 2>/dev/null) != "$AXE_VERSION" ]]; then
  if ! command -v npm >/dev/null; then
    [[ $(id -u) -eq 0 ]] || { echo "browser: npm is needed for axe-core (apt-get install npm)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  echo "browser: fetching axe-core $AXE_VERSION" >&2
  mkdir -p "$AXE_DIR"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null)
  tar -xzf "$tmp"/axe-core-*.tgz -C "$tmp"
  cp "$tmp/package/axe.min.js" "$AXE_FILE"
  echo "$AXE_VERSION" >"$AXE_DIR/version"
fi
