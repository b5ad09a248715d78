#!/usr/bin/env bash
# Self-test of the demo platform: images, release repository, every release, the faulty releases and
# the by-hand upgrade 1.0.0 -> 1.1.0 (continued to 1.2.0 and 2.0.0).
#
#   deploy/demo/selftest.sh [--keep]
#
#   --keep   keep the work directory (clones, logs, backups) instead of deleting it
#
# Every compose project it starts is named upshift-selftest-<name>-<pid>, gets free host ports and is
# removed with its volumes at the end (also after a failure or Ctrl-C; leftovers of a killed run are
# removed at the next start). Every wait is bounded. Exit status 0 only when every check passed.
#
# Environment: SELFTEST_SEED_ROWS (default 200) seed rows of the 1.0.0 seed migration;
# UPSHIFT_REGISTRY as for build-images.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(dirname "$HERE")"
HELPER="$HERE/lib/demo_platform.py"
PREFIX="upshift-selftest"
RUN_ID="$$"
SEED_ROWS="${SELFTEST_SEED_ROWS:-200}"
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "selftest: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$SEED_ROWS" =~ ^[0-9]+$ ]] || { echo "SELFTEST_SEED_ROWS must be a number" >&2; exit 2; }

T_START="$(date +%s)"
PASSED=0
FAILED=()
log()  { printf '\n[selftest] == %s\n' "$*"; }
info() { printf '[selftest]    %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); printf '[selftest] PASS %s\n' "$*"; }
fail() { FAILED+=("$*"); printf '[selftest] FAIL %s\n' "$*"; }
die()  { printf '[selftest] ERROR: %s\n' "$*" >&2; exit 1; }
h()    { python3 "$HELPER" "$@"; }
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# ------------------------------------------------------------------------------------------ prerequisites
[ "$(id -u)" -eq 0 ] || die "run as root (docker, apt-get)"
bash "$DEPLOY_DIR/lib/ensure-docker.sh" || die "docker is not available"
missing=()
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
command -v git >/dev/null 2>&1 || missing+=(git)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
info "compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo '?'))"

WORK="$(mktemp -d /tmp/upshift-selftest.XXXXXX)"
mkdir -p "$WORK/logs"
info "work directory: $WORK"

# ------------------------------------------------------------------------------------------ projects
declare -A PROJECT_DIR=()
DIR="" PROJ=""
c() { (cd "$DIR" && "${COMPOSE[@]}" -p "$PROJ" "$@"); }
ct() { local secs="$1"; shift; (cd "$DIR" && timeout "$secs" "${COMPOSE[@]}" -p "$PROJ" "$@"); }  # bounded

remove_project() {  # NAME DIR
  (cd "$2" && timeout 120 "${COMPOSE[@]}" -p "$1" down -v --remove-orphans -t 10) >>"$WORK/logs/teardown.log" 2>&1 \
    || echo "[selftest] warning: could not tear down $1 (see $WORK/logs/teardown.log)"
}
cleanup() {
  local rc=$?
  for p in "${!PROJECT_DIR[@]}"; do remove_project "$p" "${PROJECT_DIR[$p]}"; done
  if [ "$KEEP" = 1 ]; then echo "[selftest] kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of an earlier, killed run (compose labels its containers, volumes and networks).
for id in $(docker ps -a --filter label=com.docker.compose.project --format '{{.ID}} {{.Label "com.docker.compose.project"}}' | awk -v p="$PREFIX-" 'index($2, p) == 1 { print $1 }'); do
  docker rm -f -v "$id" >/dev/null 2>&1 || true
done
for id in $(docker volume ls --filter label=com.docker.compose.project --format '{{.Name}} {{.Label "com.docker.compose.project"}}' | awk -v p="$PREFIX-" 'index($2, p) == 1 { print $1 }'); do
  docker volume rm "$id" >/dev/null 2>&1 || true
done
for id in $(docker network ls --filter label=com.docker.compose.project --format '{{.ID}} {{.Label "com.docker.compose.project"}}' | awk -v p="$PREFIX-" 'index($2, p) == 1 { print $1 }'); do
  docker network rm "$id" >/dev/null 2>&1 || true
done

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

container_of() { c ps -q "$1" 2>/dev/null | head -n 1; }
health_of() {
  local id; id="$(container_of "$1")"
  [ -n "$id" ] || { echo absent; return; }
  docker inspect -f '{{if ne .State.Status "running"}}{{.State.Status}}{{else if .State.Health}}{{.State.Health.Status}}{{else}}running{{end}}' "$id" 2>/dev/null || echo absent
}
wait_health() {  # SERVICE WANTED TIMEOUT
  local deadline=$(( $(date +%s) + $3 )) s
  while :; do
    s="$(health_of "$1")"
    [ "$s" = "$2" ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && { info "$1 is '$s' after $3s (wanted $2)"; return 1; }
    sleep 1
  done
}
wait_all_healthy() {  # TIMEOUT
  local s
  for s in db backend worker; do wait_health "$s" healthy "$1" || return 1; done
}
psql_db() {  # SQL -> rows (unaligned, tuples only)
  docker exec "$(container_of db)" psql -X -q -tA -v ON_ERROR_STOP=1 -U "$(h env-get "$DIR/.env" POSTGRES_USER)" \
    -d "$(h env-get "$DIR/.env" POSTGRES_DB)" -c "$1"
}
show_logs() { c logs --no-color --tail 30 2>&1 | sed 's/^/[selftest]      | /' || true; }

flyway() {  # LOGNAME [flyway args]: migrate the checked-out release in $DIR
  local logname="$1"; shift
  UPSHIFT_SEED_ROWS="$SEED_ROWS" timeout 300 "$HERE/flyway.sh" --platform "$DIR" "$@" >"$WORK/logs/$logname" 2>&1
}

# install NAME TAG: fresh clone at TAG, own ports and project, db up, Flyway migrate, everything up and healthy.
install() {
  local name="$1" tag="$2" t0; t0="$(date +%s)"
  DIR="$WORK/$name"
  PROJ="$PREFIX-$name-$RUN_ID"
  git clone -q "$REPO" "$DIR"
  git -C "$DIR" checkout -q "$tag"
  cp "$DIR/.env.example" "$DIR/.env"
  h env-set "$DIR/.env" DB_PORT "$(free_port)"
  h env-set "$DIR/.env" BACKEND_PORT "$(free_port)"
  PROJECT_DIR[$PROJ]="$DIR"
  ct 120 up -d db >"$WORK/logs/$name-up-db.log" 2>&1 || { fail "$name: compose up db"; return 1; }
  wait_health db healthy 120 || { fail "$name: db healthy"; show_logs; return 1; }
  flyway "$name-flyway-install.log" || { fail "$name: flyway migrate"; tail -n 20 "$WORK/logs/$name-flyway-install.log"; return 1; }
  ct 180 up -d >"$WORK/logs/$name-up.log" 2>&1 || { fail "$name: compose up"; cat "$WORK/logs/$name-up.log"; show_logs; return 1; }
  wait_all_healthy 120 || { fail "$name: all services healthy"; show_logs; return 1; }
  info "$name: $tag installed and healthy in $(elapsed "$t0") (project $PROJ, backend port $(h env-get "$DIR/.env" BACKEND_PORT))"
}
teardown() { remove_project "$PROJ" "$DIR"; unset "PROJECT_DIR[$PROJ]"; }

# stop_workloads: stop application services in the descriptor's stopOrder (worker, then backend).
stop_workloads() { ct 60 stop -t 10 worker >/dev/null 2>&1 && ct 60 stop -t 10 backend >/dev/null 2>&1; }

# upgrade_by_hand TAG: the README procedure, in $DIR.
upgrade_by_hand() {
  local tag="$1" from t0 db_before
  from="$(git -C "$DIR" describe --tags)"
  t0="$(date +%s)"
  db_before="$(container_of db)"
  h counts "$DIR" "$db_before" >"$WORK/counts-before-$tag.json"
  stop_workloads || { fail "upgrade $from->$tag: stop workloads"; return 1; }
  docker exec -u postgres "$db_before" pg_dump -Fc -d "$(h env-get "$DIR/.env" POSTGRES_DB)" >"$WORK/backup-$from.dump" \
    || { fail "upgrade $from->$tag: pg_dump backup"; return 1; }
  local tables
  tables="$(docker exec -i "$db_before" pg_restore -l <"$WORK/backup-$from.dump" | grep -c 'TABLE DATA' || true)"
  [ "$tables" -ge 2 ] && pass "upgrade $from->$tag: backup taken ($(stat -c %s "$WORK/backup-$from.dump") bytes, $tables tables, pg_restore -l reads it)" \
    || fail "upgrade $from->$tag: backup readable by pg_restore"
  git -C "$DIR" checkout -q "$tag"
  h migrate-env "$DIR/upshift.yaml" "$DIR/.env" | sed 's/^/[selftest]    .env: /'
  ct 120 pull -q >"$WORK/logs/upgrade-$tag-pull.log" 2>&1 || ct 120 pull >>"$WORK/logs/upgrade-$tag-pull.log" 2>&1 \
    || { fail "upgrade $from->$tag: compose pull"; return 1; }
  flyway "upgrade-$tag-flyway.log" || { fail "upgrade $from->$tag: flyway migrate"; tail -n 20 "$WORK/logs/upgrade-$tag-flyway.log"; return 1; }
  ct 180 up -d >"$WORK/logs/upgrade-$tag-up.log" 2>&1 || { fail "upgrade $from->$tag: compose up"; show_logs; return 1; }
  wait_all_healthy 120 || { fail "upgrade $from->$tag: all services healthy"; show_logs; return 1; }
  pass "upgrade $from->$tag: migrated and healthy in $(elapsed "$t0")"
  [ "$(container_of db)" = "$db_before" ] && pass "upgrade $from->$tag: db container kept (not recreated)" \
    || fail "upgrade $from->$tag: db container was recreated"
  check_release "upgrade-$tag"
  h counts "$DIR" "$(container_of db)" >"$WORK/counts-after-$tag.json"
  h compare-counts "$WORK/counts-before-$tag.json" "$WORK/counts-after-$tag.json" | sed 's/^/[selftest]    /' \
    && pass "upgrade $from->$tag: protected tables did not shrink" \
    || fail "upgrade $from->$tag: protected tables shrank"
  check_seed "upgrade-$tag"
}

# check_release LABEL: descriptor health checks, smoke tests, invariants, indexes.
check_release() {
  local label="$1" out
  if out="$(h health "$DIR" --timeout 60)"; then pass "$label: health ($out)"; else fail "$label: health: $out"; fi
  if out="$(h smoke "$DIR")"; then pass "$label: smoke tests"; else fail "$label: smoke tests"; fi
  printf '%s\n' "$out" | sed 's/^/[selftest]    /'
  if out="$(h db-checks "$DIR" "$(container_of db)")"; then
    pass "$label: data invariants and required indexes ($(printf '%s\n' "$out" | grep -c OK) checks)"
  else
    fail "$label: data invariants / indexes"; printf '%s\n' "$out" | sed 's/^/[selftest]    /'
  fi
}
check_seed() {
  local label="$1" seeded poison
  seeded="$(psql_db "SELECT count(*) FROM items WHERE sku LIKE 'SKU-%'")"
  poison="$(psql_db "SELECT count(*) FROM items WHERE sku = 'POISON-SKU-TOO-LONG-0001'")"
  [ "$seeded" = "$SEED_ROWS" ] && [ "$poison" = 1 ] && pass "$label: seed rows present ($seeded + poison row)" \
    || fail "$label: seed rows (got $seeded seeded, $poison poison; expected $SEED_ROWS + 1)"
}

# ------------------------------------------------------------------------------------------ 1. static
log "1. images, release sources, release repository"
t="$(date +%s)"
"$DEPLOY_DIR/images/build-images.sh" >"$WORK/logs/build-images.log" 2>&1 \
  && pass "build-images.sh ($(tail -n 1 "$WORK/logs/build-images.log" | sed 's/.*done in //'))" \
  || { cat "$WORK/logs/build-images.log"; die "build-images.sh failed"; }
if out="$(h lint "$HERE/releases" "$DEPLOY_DIR/images/backend/releases.tsv")"; then pass "$out"; else fail "lint"; printf '%s\n' "$out"; fi

REPO="$WORK/platform.git"
t="$(date +%s%N)"
"$HERE/make-repo.sh" "$REPO" >"$WORK/logs/make-repo-1.log" 2>&1 || { cat "$WORK/logs/make-repo-1.log"; die "make-repo.sh failed"; }
t1="$(date +%s%N)"
"$HERE/make-repo.sh" "$REPO" >"$WORK/logs/make-repo-2.log" 2>&1 || die "make-repo.sh (second run) failed"
t2="$(date +%s%N)"
grep -q 'is up to date' "$WORK/logs/make-repo-2.log" && pass "make-repo.sh: created in $(( (t1 - t) / 1000000 )) ms, second run changes nothing ($(( (t2 - t1) / 1000000 )) ms)" \
  || fail "make-repo.sh second run was not a no-op"
"$HERE/make-repo.sh" "$WORK/platform-copy.git" >/dev/null 2>&1
if diff <(git --git-dir="$REPO" show-ref) <(git --git-dir="$WORK/platform-copy.git" show-ref) >/dev/null; then
  pass "make-repo.sh is reproducible (identical commit and tag ids in a second repository)"
else
  fail "make-repo.sh is not reproducible"
fi
main_log="$(git --git-dir="$REPO" log --format=%D --first-parent main | sed 's/.*tag: \([^,]*\).*/\1/' | tr '\n' ' ')"
[ "$main_log" = "2.0.0 1.2.0 1.1.0 1.0.0 " ] && pass "main is linear: $main_log" || fail "main history: $main_log"
for f in fail-migration fail-health fail-smoke; do
  [ "$(git --git-dir="$REPO" rev-parse "fault/$f^")" = "$(git --git-dir="$REPO" rev-parse '1.1.0^{commit}')" ] \
    && [ "$(git --git-dir="$REPO" rev-parse "fault/$f")" = "$(git --git-dir="$REPO" rev-parse "1.1.1-$f^{commit}")" ] \
    && pass "branch fault/$f: tag 1.1.1-$f, parent 1.1.0" || fail "branch fault/$f"
done
"$HERE/flyway.sh" --prepare >"$WORK/logs/flyway-prepare.log" 2>&1 || { cat "$WORK/logs/flyway-prepare.log"; die "flyway.sh --prepare failed"; }

# ------------------------------------------------------------------------------------------ 2. good releases
for tag in 1.0.0 1.1.0 1.2.0 2.0.0; do
  log "2. release $tag: fresh install"
  name="fresh-${tag//./-}"
  if install "$name" "$tag"; then
    pass "$tag: fresh install, db/backend/worker healthy"
    check_release "$tag"
    check_seed "$tag"
    if [ "$tag" = 1.0.0 ]; then
      db="$(container_of db)"
      size="$(docker exec "$db" su postgres -c "pg_dump -Fc app" | wc -c)"
      [ "$size" -gt 1000 ] && pass "$tag: docker exec <db> su postgres -c \"pg_dump -Fc app\" streams a dump ($size bytes)" \
        || fail "$tag: pg_dump through docker exec"
    fi
    if [ "$tag" = 2.0.0 ]; then
      port="$(h env-get "$DIR/.env" BACKEND_PORT)"
      code="$(python3 -c 'import sys, urllib.request, urllib.error
try: print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as e: print(e.code)' "http://127.0.0.1:$port/api/items")"
      [ "$code" = 410 ] && pass "2.0.0: the v1 path /api/items answers 410 Gone" || fail "2.0.0: /api/items answered $code"
    fi
  fi
  teardown
done

# ------------------------------------------------------------------------------------------ 3. faulty releases
log "3a. 1.1.1-fail-migration (upgrade from 1.1.0 with the default seed, which has the poison row)"
if install fault-migration 1.1.0; then
  stop_workloads
  git -C "$DIR" checkout -q 1.1.1-fail-migration
  h migrate-env "$DIR/upshift.yaml" "$DIR/.env" >/dev/null
  if flyway fault-migration-flyway-1.log; then
    fail "fail-migration: flyway migrate succeeded although the poison row is present"
  else
    grep -q 'value too long for type character varying(16)' "$WORK/logs/fault-migration-flyway-1.log" \
      && pass "fail-migration: flyway migrate fails with 'value too long for type character varying(16)'" \
      || { fail "fail-migration: unexpected flyway error"; tail -n 20 "$WORK/logs/fault-migration-flyway-1.log"; }
  fi
  hist="$(psql_db "SELECT string_agg(version, ',' ORDER BY installed_rank) FROM flyway_schema_history WHERE success")"
  cols="$(psql_db "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'items' AND column_name IN ('barcode', 'sku')")"
  [ "$hist" = "1,2,3,3.1" ] && [ "$cols" = "barcode:text,sku:text" ] \
    && pass "fail-migration: schema partly changed (history $hist; V3.1 column barcode exists, sku still text)" \
    || fail "fail-migration: partial state (history '$hist', columns '$cols')"
  [ "$(health_of backend)" = exited ] || [ "$(health_of backend)" = absent ] && pass "fail-migration: workloads stay stopped" || fail "fail-migration: backend state $(health_of backend)"
  # The test decides: without the poison row the same migration passes.
  psql_db "DELETE FROM items WHERE sku = 'POISON-SKU-TOO-LONG-0001'" >/dev/null
  if flyway fault-migration-flyway-2.log && ct 180 up -d >"$WORK/logs/fault-migration-up.log" 2>&1 && wait_all_healthy 120; then
    hist="$(psql_db "SELECT max(version) FROM flyway_schema_history WHERE success AND version = '3.2'")"
    out="$(h smoke "$DIR")" && [ "$hist" = 3.2 ] \
      && pass "fail-migration: after deleting the poison row V3.2 applies and 1.1.1-fail-migration runs healthy with passing smoke tests" \
      || fail "fail-migration: without poison: smoke/history ($hist)"
  else
    fail "fail-migration: without the poison row the migration should pass"; tail -n 20 "$WORK/logs/fault-migration-flyway-2.log"
  fi
fi
teardown

log "3b. 1.1.1-fail-health (upgrade from 1.1.0)"
if install fault-health 1.1.0; then
  stop_workloads
  git -C "$DIR" checkout -q 1.1.1-fail-health
  h migrate-env "$DIR/upshift.yaml" "$DIR/.env" >/dev/null
  flyway fault-health-flyway.log && pass "fail-health: migrations apply (nothing pending beyond 1.1.0)" || fail "fail-health: flyway"
  t0="$(date +%s)"
  if ct 150 up -d >"$WORK/logs/fault-health-up.log" 2>&1; then
    fail "fail-health: compose up succeeded although the backend never becomes healthy"
  else
    info "compose up failed after $(elapsed "$t0"): $(grep -i -m1 'unhealthy\|error' "$WORK/logs/fault-health-up.log" || tail -n 1 "$WORK/logs/fault-health-up.log")"
  fi
  wait_health backend unhealthy 90 && pass "fail-health: backend container is unhealthy" || fail "fail-health: backend health $(health_of backend)"
  port="$(h env-get "$DIR/.env" BACKEND_PORT)"
  body="$(python3 -c 'import sys, urllib.request, urllib.error
try: r = urllib.request.urlopen(sys.argv[1], timeout=5); print(r.status, r.read().decode())
except urllib.error.HTTPError as e: print(e.code, e.read().decode())' "http://127.0.0.1:$port/health")"
  [[ "$body" == 503* ]] && [[ "$body" == *"never became ready"* ]] && pass "fail-health: GET /health -> ${body:0:150}" \
    || fail "fail-health: GET /health -> $body"
  out="$(h health "$DIR" --timeout 5)" && fail "fail-health: descriptor health check passed" || pass "fail-health: descriptor health check fails as designed"
  [ "$(health_of worker)" != healthy ] && pass "fail-health: worker not started/healthy ($(health_of worker))" || fail "fail-health: worker is healthy"
  [ "$(health_of db)" = healthy ] && pass "fail-health: db still healthy" || fail "fail-health: db $(health_of db)"
fi
teardown

log "3c. 1.1.1-fail-smoke (upgrade from 1.1.0)"
if install fault-smoke 1.1.0; then
  stop_workloads
  git -C "$DIR" checkout -q 1.1.1-fail-smoke
  h migrate-env "$DIR/upshift.yaml" "$DIR/.env" >/dev/null
  if flyway fault-smoke-flyway.log && ct 180 up -d >"$WORK/logs/fault-smoke-up.log" 2>&1 && wait_all_healthy 120; then
    pass "fail-smoke: upgraded, all services healthy"
    out="$(h health "$DIR" --timeout 30)" && pass "fail-smoke: descriptor health check passes" || fail "fail-smoke: health"
    if out="$(h smoke "$DIR")"; then
      fail "fail-smoke: smoke tests passed"
    else
      printf '%s\n' "$out" | sed 's/^/[selftest]    /'
      [ "$(printf '%s\n' "$out" | grep -c 'FAIL')" = 1 ] && printf '%s\n' "$out" | grep -q 'create-item.*-> 500 .*FAIL' \
        && pass "fail-smoke: exactly the write smoke test fails (POST -> 500), reads pass" \
        || fail "fail-smoke: unexpected smoke results"
    fi
  else
    fail "fail-smoke: upgrade to 1.1.1-fail-smoke did not become healthy"; show_logs
  fi
fi
teardown

# ------------------------------------------------------------------------------------------ 4. by hand
log "4. upgrade by hand: 1.0.0 -> 1.1.0 (-> 1.2.0 -> 2.0.0) with compose + Flyway"
if install upgrade 1.0.0; then
  check_release "upgrade-1.0.0"
  upgrade_by_hand 1.1.0
  size="$(h env-get "$DIR/.env" API_PAGE_SIZE)"
  [ "$size" = 50 ] && pass "1.1.0: new required API_PAGE_SIZE added with its default" || fail "1.1.0: API_PAGE_SIZE=$size"
  h env-set "$DIR/.env" API_PAGE_SIZE 25   # an operator's own value, must survive the rename
  ct 120 up -d >/dev/null 2>&1 && wait_all_healthy 60 || fail "1.1.0: restart with API_PAGE_SIZE=25"
  upgrade_by_hand 1.2.0
  port="$(h env-get "$DIR/.env" BACKEND_PORT)"
  ps_now="$(python3 -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1], timeout=5))["config"]["pageSize"])' "http://127.0.0.1:$port/api/version")"
  if [ "$(h env-get "$DIR/.env" ITEMS_PAGE_SIZE)" = 25 ] && ! h env-get "$DIR/.env" API_PAGE_SIZE >/dev/null 2>&1 && [ "$ps_now" = 25 ]; then
    pass "1.2.0: API_PAGE_SIZE=25 carried over to ITEMS_PAGE_SIZE (backend reports page size $ps_now)"
  else
    fail "1.2.0: renamed variable (ITEMS_PAGE_SIZE=$(h env-get "$DIR/.env" ITEMS_PAGE_SIZE 2>/dev/null || true), backend page size $ps_now)"
  fi
  upgrade_by_hand 2.0.0
fi
teardown

# ------------------------------------------------------------------------------------------ summary
log "summary: ${PASSED} passed, ${#FAILED[@]} failed, $(elapsed "$T_START")"
if [ ${#FAILED[@]} -gt 0 ]; then
  printf '[selftest]   failed: %s\n' "${FAILED[@]}"
  exit 1
fi
echo "[selftest] ALL CHECKS PASSED"
