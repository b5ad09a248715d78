#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is installed for the console's browser tests
# (ConsoleBrowserIT drives it with Playwright; test tools never download browsers here).
# Idempotent: installs Debian's chromium package only when no browser is found.
set -euo pipefail

log() { printf '[chromium-setup] %s\n' "$*" >&2; }
die() { printf '[chromium-setup] ERROR: %s\n' "$*" >&2; exit 1; }

browser="${UPSHIFT_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
[ -f /etc/debian_version ] || die "no Chromium at $browser and this is not Debian: install Chromium and set UPSHIFT_CHROMIUM to its path"
[ "$(id -u)" -eq 0 ] || die "installing chromium needs root: run 'apt-get install -y chromium' or set UPSHIFT_CHROMIUM"
log "installing chromium (apt-get)"
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
[ -x "$browser" ] || die "chromium was installed but $browser is missing"
