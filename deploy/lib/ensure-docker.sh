#!/usr/bin/env bash
# Makes sure a Docker engine, the compose CLI and a local image registry are available.
# Idempotent: installs Debian packages only when missing, starts daemons only when not running.
# Sourced or executed by ./upshift and the deploy scripts; never needs an external registry.
set -euo pipefail

UPSHIFT_REGISTRY_PORT="${UPSHIFT_REGISTRY_PORT:-5000}"
UPSHIFT_STATE_DIR="${UPSHIFT_STATE_DIR:-/var/lib/upshift}"

log() { printf '[docker-setup] %s\n' "$*" >&2; }
die() { printf '[docker-setup] ERROR: %s\n' "$*" >&2; exit 1; }

need_root_for() {
  if [ "$(id -u)" -ne 0 ]; then
    die "$1 needs root (apt-get / dockerd). Run as root, or install and start it yourself: $2"
  fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ -f /etc/debian_version ] || die "missing ${missing[*]} and this is not Debian: install them with your package manager"
  need_root_for "Installing ${missing[*]}" "apt-get install -y ${missing[*]}"
  log "installing ${missing[*]} (apt-get)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then return 0; fi
  need_root_for "Starting dockerd" "dockerd &"
  log "starting dockerd (log: /var/log/dockerd.log)"
  setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { log "dockerd is up"; return 0; }
    sleep 1
  done
  die "dockerd did not answer within 60 s; see /var/log/dockerd.log"
}

start_registry() {
  if curl -fsS "http://127.0.0.1:${UPSHIFT_REGISTRY_PORT}/v2/" >/dev/null 2>&1; then return 0; fi
  mkdir -p "$UPSHIFT_STATE_DIR/registry"
  local cfg="$UPSHIFT_STATE_DIR/registry/config.yml"
  cat >"$cfg" <<CFG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $UPSHIFT_STATE_DIR/registry/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${UPSHIFT_REGISTRY_PORT}
CFG
  log "starting the local image registry on 127.0.0.1:${UPSHIFT_REGISTRY_PORT}"
  setsid docker-registry serve "$cfg" >/var/log/upshift-registry.log 2>&1 < /dev/null &
  for _ in $(seq 1 30); do
    curl -fsS "http://127.0.0.1:${UPSHIFT_REGISTRY_PORT}/v2/" >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "the local registry did not answer within 30 s; see /var/log/upshift-registry.log"
}

ensure_docker() {
  install_packages
  start_dockerd
  start_registry
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_docker
fi
