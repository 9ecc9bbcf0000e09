#!/usr/bin/env bash
# Debian's Chromium for the page tests (Playwright drives it; no browser download needed).
set -euo pipefail
command -v chromium >/dev/null && exit 0
[[ $(id -u) -eq 0 ]] || { echo "browser: chromium missing; run as root or: apt-get install chromium" >&2; exit 1; }
echo "browser: installing chromium from Debian's packages" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
