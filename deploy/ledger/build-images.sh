#!/usr/bin/env bash
# Builds the images of the ledger platform offline and pushes them to the local registry.
#
#   deploy/ledger/build-images.sh [--force] [--list]
#
#   --force   rebuild and push the ledger images even when the registry already has them
#   --list    print the image references this script produces and exit
#
# Images (REGISTRY defaults to localhost:5000, override with UPSHIFT_REGISTRY):
#   REGISTRY/upshift-ledger/postgres:15      its own init conventions (LEDGER_DATABASES, LEDGER_DB_PASSWORD)
#   REGISTRY/upshift-ledger/app:<release>    one tag per line of images/app/releases.tsv
#
# Both are built FROM the demo's debootstrapped base image (REGISTRY/upshift-demo/base:bookworm): this
# script first runs deploy/images/build-images.sh, which builds that base when it is missing (and is a
# no-op of a few seconds otherwise). Nothing is pulled from outside the local registry.
# Idempotent like the demo's builder: every image carries the label org.upshift.demo.inputs, a hash of
# the base image's own hash and everything the image is built from; an image whose tag is in the
# registry with that label is skipped. Builds are serialised with the demo's lock file.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(dirname "$HERE")"
IMAGES="$HERE/images"
REGISTRY="${UPSHIFT_REGISTRY:-localhost:5000}"
STATE_DIR="${UPSHIFT_STATE_DIR:-/var/lib/upshift}"
export DOCKER_BUILDKIT=0

BASE_REF="$REGISTRY/upshift-demo/base:bookworm"
POSTGRES_REF="$REGISTRY/upshift-ledger/postgres:15"
APP_REPO="$REGISTRY/upshift-ledger/app"

log() { printf '[ledger-images] %s\n' "$*" >&2; }
die() { printf '[ledger-images] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

FORCE=0
LIST=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --list) LIST=1 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

RELEASES=()   # "release ledger files shipped fault"
while read -r rel ledger files shipped fault _; do
  case "$rel" in ''|'#'*) continue ;; esac
  [ -n "$fault" ] || die "images/app/releases.tsv: malformed line for $rel"
  [[ "$rel" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?$ ]] || die "images/app/releases.tsv: bad release '$rel'"
  [[ "$ledger" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "images/app/releases.tsv: bad ledger version '$ledger' for $rel"
  [[ "$files" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "images/app/releases.tsv: bad files version '$files' for $rel"
  [[ "$shipped" =~ ^[0-9.]+(,[0-9.]+)*$ ]] || die "images/app/releases.tsv: bad shipped list '$shipped' for $rel"
  case "$fault" in -|health) ;; *) die "images/app/releases.tsv: unknown fault '$fault' for $rel" ;; esac
  RELEASES+=("$rel $ledger $files $shipped $fault")
done <"$IMAGES/app/releases.tsv"
[ ${#RELEASES[@]} -gt 0 ] || die "images/app/releases.tsv lists no release"

if [ "$LIST" = 1 ]; then
  printf '%s\n' "$POSTGRES_REF"
  for r in "${RELEASES[@]}"; do printf '%s:%s\n' "$APP_REPO" "${r%% *}"; done
  exit 0
fi

T_START="$(now)"
mkdir -p "$STATE_DIR"
log "making sure the demo's base image is built (deploy/images/build-images.sh)"
"$DEPLOY_DIR/images/build-images.sh" >"$STATE_DIR/ledger-base-build.log" 2>&1 \
  || { tail -n 30 "$STATE_DIR/ledger-base-build.log" >&2; die "deploy/images/build-images.sh failed"; }

exec 9>"$STATE_DIR/build-images.lock"
flock -w 900 9 || die "another image build holds $STATE_DIR/build-images.lock for more than 15 minutes"

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
local_label() { docker image inspect --format '{{ index .Config.Labels "org.upshift.demo.inputs" }}' "$1" 2>/dev/null || true; }
up_to_date() { [ "$FORCE" = 0 ] && [ "$(registry_label "$1")" = "$2" ]; }
hash_of() { sha256sum | cut -c1-16; }

BASE_HASH="$(registry_label "$BASE_REF")"
[ -n "$BASE_HASH" ] || die "$BASE_REF is not in the registry after deploy/images/build-images.sh"
POSTGRES_HASH="$( { echo "$BASE_HASH"; cat "$IMAGES/postgres/Dockerfile" "$IMAGES/postgres/ledger-db-entrypoint.sh"; } | hash_of)"
app_hash() {
  { echo "$BASE_HASH"; echo "$1"; cat "$IMAGES/app/Dockerfile" "$IMAGES/app/ledger_app.py"
    for f in "$IMAGES"/app/files-migrations/*.sql; do echo "$(basename "$f")"; cat "$f"; done; } | hash_of
}

BASE_LOCAL_OK=0
need_local_base() {
  [ "$BASE_LOCAL_OK" = 1 ] && return 0
  if [ "$(local_label "$BASE_REF")" != "$BASE_HASH" ]; then
    log "pulling $BASE_REF from the local registry"
    docker pull -q "$BASE_REF" >/dev/null || die "cannot pull $BASE_REF"
  fi
  BASE_LOCAL_OK=1
}

SUMMARY=()
record() { SUMMARY+=("$(printf '%-58s %-8s %6ss' "$1" "$2" "$3")"); }

build() {  # CONTEXT REF HASH [--build-arg ...]
  local ctx="$1" ref="$2" hash="$3" t0 out
  shift 3
  t0="$(now)"
  need_local_base
  if ! out="$(docker build -q --build-arg "BASE_IMAGE=$BASE_REF" --build-arg "INPUTS_HASH=$hash" "$@" \
                -t "$ref" "$ctx" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "docker build of $ref failed"
  fi
  if ! out="$(docker push "$ref" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "docker push $ref failed"
  fi
  log "built and pushed $ref in $(since "$t0")s"
  record "$ref" built "$(since "$t0")"
}

log "registry $REGISTRY, inputs: base=$BASE_HASH postgres=$POSTGRES_HASH"
t="$(now)"
if up_to_date "$POSTGRES_REF" "$POSTGRES_HASH"; then
  record "$POSTGRES_REF" present "$(since "$t")"
else
  build "$IMAGES/postgres" "$POSTGRES_REF" "$POSTGRES_HASH"
fi

for r in "${RELEASES[@]}"; do
  read -r rel ledger files shipped fault <<<"$r"
  [ "$fault" = "-" ] && fault=""
  ref="$APP_REPO:$rel"
  h="$(app_hash "$r")"
  t="$(now)"
  if up_to_date "$ref" "$h"; then
    record "$ref" present "$(since "$t")"
  else
    build "$IMAGES/app" "$ref" "$h" --build-arg "APP_RELEASE=$rel" --build-arg "APP_REQUIRED_LEDGER=$ledger" \
      --build-arg "APP_REQUIRED_FILES=$files" --build-arg "FILES_MIGRATIONS=$shipped" --build-arg "APP_FAULT=$fault"
  fi
done

log "summary:"
printf '  %s\n' "${SUMMARY[@]}" >&2
log "done in $(since "$T_START")s"
