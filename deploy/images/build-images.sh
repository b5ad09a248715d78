#!/usr/bin/env bash
# Builds the images of the Upshift demo platform offline and pushes them to the local registry.
#
#   deploy/images/build-images.sh [--force] [--list]
#
#   --force   rebuild and push every image even when the registry already has it
#   --list    print the image references this script produces and exit
#
# Images (REGISTRY defaults to localhost:5000, override with UPSHIFT_REGISTRY):
#   REGISTRY/upshift-demo/base:bookworm         debootstrap'ed Debian 12 + postgresql-15 + python3-psycopg2
#   REGISTRY/upshift-demo/postgres:15           behaves like the official postgres image
#   REGISTRY/upshift-demo/backend:<release>     one tag per line of backend/releases.tsv
#
# Idempotent: every image carries the label org.upshift.demo.inputs, a hash of everything it is built
# from. An image whose tag is in the registry with the expected label is skipped, so a second run takes
# seconds. Needs root on a fresh machine (installs docker.io, docker-compose, docker-registry and
# debootstrap with apt-get when missing, and starts dockerd and the registry; see ../lib/ensure-docker.sh).
#
# Environment:
#   UPSHIFT_REGISTRY            registry to push to (default localhost:5000; must be a local, plain-HTTP one)
#   UPSHIFT_DEBIAN_MIRROR       Debian mirror for debootstrap (default: the bookworm mirror apt is configured with)
#   UPSHIFT_STATE_DIR           state directory (default /var/lib/upshift): build area and lock live under it
#   UPSHIFT_DEBOOTSTRAP_CACHE   where debootstrap keeps downloaded .debs (default /var/cache/upshift/debootstrap)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(dirname "$HERE")"
REGISTRY="${UPSHIFT_REGISTRY:-localhost:5000}"
NAMESPACE="upshift-demo"
SUITE="bookworm"
STATE_DIR="${UPSHIFT_STATE_DIR:-/var/lib/upshift}"
BUILD_DIR="$STATE_DIR/build"
DEB_CACHE="${UPSHIFT_DEBOOTSTRAP_CACHE:-/var/cache/upshift/debootstrap}"
# Bump when the way the base image is produced changes in this script (not in base/*).
BASE_RECIPE_REVISION="1"
export DOCKER_BUILDKIT=0   # the classic builder works with every docker CLI/daemon pair found here

BASE_REF="$REGISTRY/$NAMESPACE/base:$SUITE"
POSTGRES_REF="$REGISTRY/$NAMESPACE/postgres:15"
BACKEND_REPO="$REGISTRY/$NAMESPACE/backend"

log() { printf '[build-images] %s\n' "$*" >&2; }
die() { printf '[build-images] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

FORCE=0
LIST=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --list) LIST=1 ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

# ------------------------------------------------------------------------------------------ release table
RELEASES=()   # "release required-schema fault"
while read -r rel schema fault _; do
  case "$rel" in ''|'#'*) continue ;; esac
  [ -n "$schema" ] && [ -n "$fault" ] || die "backend/releases.tsv: malformed line for $rel"
  [[ "$rel" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?$ ]] || die "backend/releases.tsv: bad release name '$rel'"
  [[ "$schema" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "backend/releases.tsv: bad schema version '$schema' for $rel"
  case "$fault" in -|health|smoke) ;; *) die "backend/releases.tsv: unknown fault '$fault' for $rel" ;; esac
  RELEASES+=("$rel $schema $fault")
done <"$HERE/backend/releases.tsv"
[ ${#RELEASES[@]} -gt 0 ] || die "backend/releases.tsv lists no release"

if [ "$LIST" = 1 ]; then
  printf '%s\n' "$BASE_REF" "$POSTGRES_REF"
  for r in "${RELEASES[@]}"; do printf '%s:%s\n' "$BACKEND_REPO" "${r%% *}"; done
  exit 0
fi

# ------------------------------------------------------------------------------------------ prerequisites
T_START="$(now)"
bash "$DEPLOY_DIR/lib/ensure-docker.sh" || die "docker / the local registry are not available"
command -v python3 >/dev/null 2>&1 || die "python3 is needed (it comes with docker-compose: apt-get install -y python3)"
command -v flock >/dev/null 2>&1 || die "flock (util-linux) is needed"

mkdir -p "$BUILD_DIR"
exec 9>"$STATE_DIR/build-images.lock"
flock -w 900 9 || die "another build-images.sh holds $STATE_DIR/build-images.lock for more than 15 minutes"

# ------------------------------------------------------------------------------------------ hashes
hash_of() { sha256sum | cut -c1-16; }
BASE_HASH="$( {
  printf 'suite=%s recipe=%s\n' "$SUITE" "$BASE_RECIPE_REVISION"
  grep -v '^[[:space:]]*\(#\|$\)' "$HERE/base/packages"
  cat "$HERE/base/trim-rootfs.sh"
} | hash_of)"
POSTGRES_HASH="$( { echo "$BASE_HASH"; cat "$HERE/postgres/Dockerfile" "$HERE/postgres/docker-entrypoint.sh"; } | hash_of)"
backend_hash() { { echo "$BASE_HASH"; echo "$1"; cat "$HERE/backend/Dockerfile" "$HERE/backend/demo_app.py"; } | hash_of; }

# Prints the org.upshift.demo.inputs label of REF as stored in the registry (empty when absent).
registry_label() {
  python3 - "$1" <<'PY'
import json, sys, urllib.request
ref = sys.argv[1]
host, rest = ref.split("/", 1)
name, tag = rest.rsplit(":", 1)
base = f"http://{host}/v2/{name}"
accept = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"
try:
    req = urllib.request.Request(f"{base}/manifests/{tag}", headers={"Accept": accept})
    manifest = json.load(urllib.request.urlopen(req, timeout=10))
    config = json.load(urllib.request.urlopen(f"{base}/blobs/{manifest['config']['digest']}", timeout=10))
    print(((config.get("config") or {}).get("Labels") or {}).get("org.upshift.demo.inputs", ""))
except Exception:
    pass
PY
}
local_label() {
  docker image inspect --format '{{ index .Config.Labels "org.upshift.demo.inputs" }}' "$1" 2>/dev/null || true
}
up_to_date() { [ "$FORCE" = 0 ] && [ "$(registry_label "$1")" = "$2" ]; }

push() {
  local ref="$1" out
  if ! out="$(docker push "$ref" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "docker push $ref failed"
  fi
}

SUMMARY=()
record() { SUMMARY+=("$(printf '%-58s %-8s %6ss' "$1" "$2" "$3")"); }

# ------------------------------------------------------------------------------------------ base image
debian_mirror() {
  if [ -n "${UPSHIFT_DEBIAN_MIRROR:-}" ]; then echo "$UPSHIFT_DEBIAN_MIRROR"; return; fi
  local m=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    m="$(awk -v suite="$SUITE" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^[ \t]*#/) continue
          if (line ~ /^Types:/)  { sub(/^Types:[ \t]*/, "", line);  types = line }
          if (line ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", line);   uris = line }
          if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); suites = " " line " " }
        }
        if ((" " types " ") ~ / deb / && suites ~ (" " suite " ") && uris != "") {
          split(uris, u, /[ \t]+/); print u[1]; exit
        }
      }' /etc/apt/sources.list.d/*.sources)"
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m="$(awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' /etc/apt/sources.list)"
  fi
  case "$m" in
    http://*|https://*|file:/*|ftp://*) echo "$m" ;;
    *) echo "http://deb.debian.org/debian" ;;
  esac
}

build_base() {
  local t0 mirror rootfs pkgs
  t0="$(now)"
  [ "$(id -u)" -eq 0 ] || die "building the base image needs root (debootstrap)"
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap (apt-get)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
  fi
  mirror="$(debian_mirror)"
  pkgs="$(grep -v '^[[:space:]]*\(#\|$\)' "$HERE/base/packages" | tr -d ' \t' | paste -sd, -)"
  rootfs="$BUILD_DIR/rootfs.$$"
  rm -rf "$rootfs"
  mkdir -p "$DEB_CACHE" "$rootfs"
  log "base: debootstrap --variant=minbase $SUITE from $mirror (+ $pkgs)"
  if ! debootstrap --variant=minbase --include="$pkgs" --cache-dir="$DEB_CACHE" \
        "$SUITE" "$rootfs" "$mirror" >"$BUILD_DIR/debootstrap.log" 2>&1; then
    tail -n 30 "$BUILD_DIR/debootstrap.log" >&2
    rm -rf "$rootfs"
    die "debootstrap failed (full log: $BUILD_DIR/debootstrap.log)"
  fi
  log "base: debootstrap done after $(since "$t0")s; trimming"
  "$HERE/base/trim-rootfs.sh" "$rootfs"
  log "base: importing $(du -sm "$rootfs" | cut -f1) MB into docker"
  tar -C "$rootfs" --numeric-owner -cf - . | docker import \
      -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'ENV LANG=C.UTF-8' \
      -c "LABEL org.upshift.demo.inputs=$BASE_HASH" \
      -c 'CMD ["/bin/bash"]' \
      - "$BASE_REF" >/dev/null
  rm -rf "$rootfs"
  local t1; t1="$(now)"
  push "$BASE_REF"
  log "base: pushed $BASE_REF in $(since "$t1")s"
  record "$BASE_REF" built "$(since "$t0")"
}

# Makes sure the base image is present locally before something is built FROM it.
BASE_LOCAL_OK=0
need_local_base() {
  [ "$BASE_LOCAL_OK" = 1 ] && return 0
  if [ "$(local_label "$BASE_REF")" != "$BASE_HASH" ]; then
    log "base: pulling $BASE_REF"
    docker pull -q "$BASE_REF" >/dev/null || die "cannot pull $BASE_REF"
  fi
  BASE_LOCAL_OK=1
}

# docker build CONTEXT REF HASH [--build-arg ...]
build_on_base() {
  local ctx="$1" ref="$2" hash="$3" t0 out
  shift 3
  t0="$(now)"
  need_local_base
  if ! out="$(docker build -q --build-arg "BASE_IMAGE=$BASE_REF" --build-arg "INPUTS_HASH=$hash" "$@" \
                -t "$ref" "$ctx" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "docker build of $ref failed"
  fi
  push "$ref"
  log "built and pushed $ref in $(since "$t0")s"
  record "$ref" built "$(since "$t0")"
}

# ------------------------------------------------------------------------------------------ main
log "registry $REGISTRY, inputs: base=$BASE_HASH postgres=$POSTGRES_HASH"

T_CHECK="$(now)"
if up_to_date "$BASE_REF" "$BASE_HASH"; then
  record "$BASE_REF" present "$(since "$T_CHECK")"
else
  build_base
  BASE_LOCAL_OK=1
fi

T_CHECK="$(now)"
if up_to_date "$POSTGRES_REF" "$POSTGRES_HASH"; then
  record "$POSTGRES_REF" present "$(since "$T_CHECK")"
else
  build_on_base "$HERE/postgres" "$POSTGRES_REF" "$POSTGRES_HASH"
fi

for r in "${RELEASES[@]}"; do
  read -r rel schema fault <<<"$r"
  [ "$fault" = "-" ] && fault=""
  ref="$BACKEND_REPO:$rel"
  h="$(backend_hash "$r")"
  T_CHECK="$(now)"
  if up_to_date "$ref" "$h"; then
    record "$ref" present "$(since "$T_CHECK")"
  else
    build_on_base "$HERE/backend" "$ref" "$h" \
      --build-arg "APP_RELEASE=$rel" --build-arg "APP_REQUIRED_SCHEMA=$schema" --build-arg "APP_FAULT=$fault"
  fi
done

log "summary:"
printf '  %s\n' "${SUMMARY[@]}" >&2
log "done in $(since "$T_START")s"
