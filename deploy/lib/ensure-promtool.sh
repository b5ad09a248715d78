#!/usr/bin/env bash
# Makes sure promtool is installed: PrometheusAssetsTest and RunMetricsIT check the alert rules,
# their unit tests, the scrape config and the dashboard's queries with it (deploy/monitoring).
# Idempotent and quiet when present: installs Debian's prometheus package (which ships promtool)
# only when no promtool is found.
set -euo pipefail

log() { printf '[promtool-setup] %s\n' "$*" >&2; }
die() { printf '[promtool-setup] ERROR: %s\n' "$*" >&2; exit 1; }

if command -v promtool >/dev/null 2>&1 || [ -x /usr/bin/promtool ]; then
  exit 0
fi
[ -f /etc/debian_version ] || die "promtool is missing and this is not Debian: install Prometheus's promtool and put it on PATH"
[ "$(id -u)" -eq 0 ] || die "installing promtool needs root: run 'apt-get install -y prometheus' (it ships promtool)"
log "installing prometheus for promtool (apt-get)"
apt-get update -q >/dev/null
# --no-install-recommends: only the binaries; the package's own service is never started here
# (no systemd), and nothing else of the server is needed.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null
[ -x /usr/bin/promtool ] || die "prometheus was installed but /usr/bin/promtool is missing"
