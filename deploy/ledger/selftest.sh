#!/usr/bin/env bash
# Self-test of the ledger platform: images, descriptors, release repository, and by hand (plain compose,
# Flyway, ledger-migrate, ledger-admin) the install of v1.0.0, the upgrade to v1.1.0, the faulty
# v1.1.1-fail-migration with a by-hand rollback of both databases and the volume, the upgrade to v1.2.0,
# and the faulty v1.1.1-fail-health. After every step, each write the API acknowledged is checked in the
# ledger database, the files database and the uploads volume.
#
#   deploy/ledger/selftest.sh [--keep]
#
#   --keep   keep the work directory (clones, logs, backups) instead of deleting it
#
# Compose projects are named upshift-selftest-ledger-<name>-<pid>, get a free API port and are removed
# with their volumes at the end (also after a failure or Ctrl-C; leftovers of a killed run are removed at
# the next start). Every wait is bounded. Exit status 0 only when every check passed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(dirname "$HERE")"
HELPER="$HERE/lib/ledger_platform.py"
PREFIX="upshift-selftest-ledger"
RUN_ID="$$"
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "selftest: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

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

[ "$(id -u)" -eq 0 ] || die "run as root (docker, apt-get)"
bash "$DEPLOY_DIR/lib/ensure-docker.sh" || die "docker is not available"
missing=()
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
command -v git >/dev/null 2>&1 || missing+=(git)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi

WORK="$(mktemp -d /tmp/upshift-selftest-ledger.XXXXXX)"
mkdir -p "$WORK/logs"
info "work directory: $WORK"

declare -A PROJECT_DIR=()
DIR="" PROJ=""
ct() { local secs="$1"; shift; (cd "$DIR" && timeout "$secs" "${COMPOSE[@]}" -p "$PROJ" "$@"); }
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
for kind in ps volume network; do
  case "$kind" in
    ps) list=(docker ps -a); rm=(docker rm -f -v) ;;
    volume) list=(docker volume ls); rm=(docker volume rm) ;;
    network) list=(docker network ls); rm=(docker network rm) ;;
  esac
  fmt='{{.ID}}'; [ "$kind" = volume ] && fmt='{{.Name}}'
  for id in $("${list[@]}" --filter label=com.docker.compose.project --format "$fmt {{.Label \"com.docker.compose.project\"}}" \
              | awk -v p="$PREFIX-" 'index($2, p) == 1 { print $1 }'); do
    "${rm[@]}" "$id" >/dev/null 2>&1 || true
  done
done

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
container_of() { ct 30 ps -q "$1" 2>/dev/null | head -n 1; }
state_of() {
  local id; id="$(container_of "$1")"
  [ -n "$id" ] || { echo absent; return; }
  docker inspect -f '{{if ne .State.Status "running"}}{{.State.Status}}{{else if .State.Health}}{{.State.Health.Status}}{{else}}running{{end}}' "$id" 2>/dev/null || echo absent
}
wait_state() {  # SERVICE WANTED TIMEOUT
  local deadline=$(( $(date +%s) + $3 )) s
  while :; do
    s="$(state_of "$1")"
    [ "$s" = "$2" ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && { info "$1 is '$s' after $3s (wanted $2)"; return 1; }
    sleep 1
  done
}
wait_log() {  # SERVICE TEXT TIMEOUT: the text in the container's log since it started
  local deadline=$(( $(date +%s) + $3 ))
  while ! docker logs "$(container_of "$1")" 2>&1 | grep -qF "$2"; do
    [ "$(date +%s)" -ge "$deadline" ] && { info "no '$2' in the log of $1 after $3s"; return 1; }
    sleep 1
  done
}
running_for() {  # SERVICE SECONDS: running, not restarting, for SECONDS
  local id; id="$(container_of "$1")"
  sleep "$2"
  [ "$(docker inspect -f '{{.State.Status}} {{.RestartCount}}' "$id" 2>/dev/null)" = "running 0" ]
}
psql_db() {  # DB SQL -> rows (through the db container; no port is published)
  docker exec "$(container_of db)" psql -X -q -tA -v ON_ERROR_STOP=1 -U postgres -d "$1" -c "$2"
}
api() { echo "http://127.0.0.1:$(h env-get "$DIR/.env" API_PORT)"; }
show_logs() { ct 60 logs --no-color --tail 20 2>&1 | sed 's/^/[selftest]      | /' || true; }
app_image() { (cd "$DIR" && "${COMPOSE[@]}" -p "$PROJ" config 2>/dev/null) | awk '$1 == "image:" && /upshift-ledger\/app:/ { print $2; exit }'; }

# flyway_ledger LOGNAME: Flyway for the ledger database of the checked-out release, through the db
# container's address on the platform's network (the host can route to it; nothing is published).
flyway_ledger() {
  local ip
  ip="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$(container_of db)" | awk '{ print $1 }')"
  FLYWAY_PASSWORD="$(h env-get "$DIR/.env" LEDGER_DB_PASSWORD)" timeout 300 "$DEPLOY_DIR/demo/flyway.sh" \
    "-url=jdbc:postgresql://$ip:5432/ledger" -user=postgres "-locations=filesystem:$DIR/migrations/ledger" \
    -connectRetries=10 migrate >"$WORK/logs/$1" 2>&1
}
# ledger_migrate ARGS...: the files database's runner in a one-off container of the api service's image.
# (compose 1.29 reports "Creating ..._run" on stderr; that line is dropped, the tool's own errors are kept)
ledger_migrate() { ct 300 run --rm --no-deps -T api ledger-migrate "$@" 2> >(grep -v '^Creating ' >&2); }
admin_hook() { ct 300 run --rm --no-deps -T manager ledger-admin apply-missing-revisions "$1" 2> >(grep -v '^Creating ' >&2); }
# start_manager_first: the descriptor's stages: manager, wait healthy, then the rest.
start_manager_first() {
  ct 180 up -d --no-deps manager >>"$WORK/logs/$1-up.log" 2>&1 && wait_state manager healthy 120 \
    && ct 180 up -d >>"$WORK/logs/$1-up.log" 2>&1
}
wait_started() {  # every service by the descriptor's rule
  wait_log db "database system is ready to accept connections" 120 && wait_state manager healthy 120 \
    && wait_state api healthy 120 && running_for worker 5
}

# install NAME TAG: fresh clone at TAG, own port and project, db up, migrations, manager first, the rest.
install() {
  local name="$1" tag="$2" t0; t0="$(date +%s)"
  DIR="$WORK/$name"
  PROJ="$PREFIX-$name-$RUN_ID"
  git clone -q "$REPO" "$DIR"
  git -C "$DIR" checkout -q "$tag"
  cp "$DIR/.env.example" "$DIR/.env"
  h env-set "$DIR/.env" API_PORT "$(free_port)"
  PROJECT_DIR[$PROJ]="$DIR"
  ct 120 up -d db >"$WORK/logs/$name-up-db.log" 2>&1 || { fail "$name: compose up db"; return 1; }
  wait_log db "database system is ready to accept connections" 120 || { fail "$name: db ready"; show_logs; return 1; }
  flyway_ledger "$name-flyway.log" || { fail "$name: flyway (ledger)"; tail -n 20 "$WORK/logs/$name-flyway.log"; return 1; }
  ledger_migrate upgrade >"$WORK/logs/$name-ledger-migrate.log" 2>&1 || { fail "$name: ledger-migrate upgrade"; cat "$WORK/logs/$name-ledger-migrate.log"; return 1; }
  start_manager_first "$name" || { fail "$name: start (manager first)"; show_logs; return 1; }
  wait_started || { fail "$name: services started"; show_logs; return 1; }
  info "$name: $tag installed and started in $(elapsed "$t0") (project $PROJ, API $(api))"
}
teardown() { remove_project "$PROJ" "$DIR"; unset "PROJECT_DIR[$PROJ]"; }

ACKED=()   # every id the API acknowledged on the current deployment
write() {  # COUNT PREFIX
  local ids
  if ids="$(h write "$(api)" "$1" "$2")"; then
    mapfile -t -O "${#ACKED[@]}" ACKED <<<"$ids"
    pass "$2: $1 writes acknowledged (ids $(head -n 1 <<<"$ids")..$(tail -n 1 <<<"$ids"))"
  else
    fail "$2: writes through the API"
  fi
}
check_writes() {  # LABEL: every acknowledged id in both databases and the volume, seen by the API and directly
  local label="$1" out ids n_ledger n_files n_uploads
  if out="$(h check "$(api)" "${ACKED[@]}")"; then pass "$label: API: $out"; else fail "$label: API: $out"; fi
  ids="$(IFS=,; echo "${ACKED[*]}")"
  n_ledger="$(psql_db ledger "SELECT count(*) FROM entries WHERE id IN ($ids)")"
  n_files="$(psql_db files "SELECT count(*) FROM files WHERE item_id IN ($ids)")"
  n_uploads="$(ct 60 exec -T api sh -c 'cd /data/uploads && ls' | grep -cxF -f <(printf '%s.json\n' "${ACKED[@]}") || true)"
  [ "$n_ledger" = "${#ACKED[@]}" ] && [ "$n_files" = "${#ACKED[@]}" ] && [ "$n_uploads" = "${#ACKED[@]}" ] \
    && pass "$label: directly: ${#ACKED[@]} acknowledged ids in ledger.entries ($n_ledger), files.files ($n_files), volume uploads ($n_uploads)" \
    || fail "$label: directly: of ${#ACKED[@]} acknowledged ids: ledger $n_ledger, files $n_files, uploads $n_uploads"
}
check_version() {  # LABEL RELEASE LEDGER FILES
  local body; body="$(h http GET "$(api)/api/version")"
  python3 - "$body" "$2" "$3" "$4" <<'PY' && pass "$1: /api/version release $2, schemas ledger $3 / files $4" || fail "$1: /api/version: $body"
import json, sys
status, _, body = sys.argv[1].partition(" ")
v = json.loads(body)
sys.exit(0 if status == "200" and v["release"] == sys.argv[2] and v["schemas"] == {"ledger": sys.argv[3], "files": sys.argv[4]} else 1)
PY
}

# stop_workloads: the descriptor's stop order (api + worker, then manager); db keeps running.
stop_workloads() { ct 60 stop -t 10 api worker >/dev/null 2>&1 && ct 60 stop -t 10 manager >/dev/null 2>&1; }
# backup LABEL: both databases with pg_dump -Fc (through the container), the uploads volume as a tar
# made by a helper container of the app image (already on the machine).
backup() {
  local label="$1" t0 db vol img; t0="$(date +%s%N)"
  db="$(container_of db)"
  for d in ledger files; do
    docker exec "$db" pg_dump -U postgres -Fc -d "$d" >"$WORK/$label-$d.dump" || return 1
  done
  vol="${PROJ}_uploads"
  img="$(app_image)"
  docker run --rm --user 0 -v "$vol:/data/uploads:ro" --entrypoint tar "$img" -C /data/uploads -cf - . >"$WORK/$label-uploads.tar" || return 1
  info "backup $label: ledger $(stat -c %s "$WORK/$label-ledger.dump") B, files $(stat -c %s "$WORK/$label-files.dump") B, uploads $(stat -c %s "$WORK/$label-uploads.tar") B in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}
# restore LABEL: both databases and the volume back to the backup's point (workloads stopped).
restore() {
  local label="$1" db vol img; db="$(container_of db)"
  for d in ledger files; do
    docker exec "$db" psql -X -q -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$d' AND pid <> pg_backend_pid()" \
      -c "DROP DATABASE $d" -c "CREATE DATABASE $d OWNER postgres" >/dev/null || return 1
    docker exec -i "$db" pg_restore -U postgres -d "$d" --exit-on-error <"$WORK/$label-$d.dump" || return 1
  done
  vol="${PROJ}_uploads"
  img="$(app_image)"
  docker run --rm -i --user 0 -v "$vol:/data/uploads" --entrypoint sh "$img" \
    -c 'find /data/uploads -mindepth 1 -delete && tar -C /data/uploads --same-owner -xf -' <"$WORK/$label-uploads.tar" || return 1
}

# upgrade_by_hand TAG PREVIOUS: stop, back up, checkout, .env, pull, Flyway, ledger-migrate, manager first,
# hook, the rest; the README procedure.
upgrade_by_hand() {
  local tag="$1" prev="$2" t0 db_before out; t0="$(date +%s)"
  db_before="$(container_of db)"
  stop_workloads || { fail "$prev->$tag: stop workloads"; return 1; }
  backup "before-$tag" && pass "$prev->$tag: backup of both databases and the volume" || { fail "$prev->$tag: backup"; return 1; }
  git -C "$DIR" checkout -q "$tag"
  h new-required "$HERE/descriptors/${tag#v}/upshift.yaml" "$DIR/.env" | sed 's/^/[selftest]    .env: /'
  ct 120 pull -q >"$WORK/logs/upgrade-$tag-pull.log" 2>&1 || ct 120 pull >>"$WORK/logs/upgrade-$tag-pull.log" 2>&1 \
    || { fail "$prev->$tag: compose pull"; return 1; }
  out="$(ledger_migrate status 2>&1)" && info "ledger-migrate status: $(echo "$out" | tr '\n' ' ')"
  flyway_ledger "upgrade-$tag-flyway.log" || { fail "$prev->$tag: flyway (ledger)"; tail -n 20 "$WORK/logs/upgrade-$tag-flyway.log"; return 1; }
  ledger_migrate upgrade >"$WORK/logs/upgrade-$tag-ledger-migrate.log" 2>&1 \
    || { fail "$prev->$tag: ledger-migrate upgrade"; cat "$WORK/logs/upgrade-$tag-ledger-migrate.log"; return 1; }
  ct 180 up -d --no-deps manager >"$WORK/logs/upgrade-$tag-up.log" 2>&1 && wait_state manager healthy 120 \
    || { fail "$prev->$tag: manager first"; show_logs; return 1; }
  if out="$(admin_hook "${prev#v}" 2>&1)"; then pass "$prev->$tag: hook ledger-admin apply-missing-revisions ${prev#v}: $(echo "$out" | tr '\n' ' ')"
  else fail "$prev->$tag: hook: $out"; fi
  if out="$(admin_hook "${prev#v}" 2>&1)" && grep -q '^0 revision(s) applied' <<<"$out"; then pass "$prev->$tag: hook again changes nothing: $(tail -n 1 <<<"$out")"
  else fail "$prev->$tag: hook is not idempotent: $out"; fi
  ct 180 up -d >>"$WORK/logs/upgrade-$tag-up.log" 2>&1 && wait_started || { fail "$prev->$tag: services started"; show_logs; return 1; }
  pass "$prev->$tag: upgraded by hand and started in $(elapsed "$t0")"
  [ "$(container_of db)" = "$db_before" ] && pass "$prev->$tag: db container kept" || fail "$prev->$tag: db container recreated"
}

# ------------------------------------------------------------------------------------------ 1. static
log "1. images, descriptors, release repository"
t0="$(date +%s)"
"$HERE/build-images.sh" >"$WORK/logs/build-images.log" 2>&1 \
  && pass "build-images.sh ($(tail -n 1 "$WORK/logs/build-images.log" | sed 's/.*done in //'))" \
  || { cat "$WORK/logs/build-images.log"; die "build-images.sh failed"; }
if out="$(h lint "$HERE")"; then pass "$out"; else fail "lint"; printf '%s\n' "$out"; fi
REPO="$WORK/platform.git"
"$HERE/make-repo.sh" "$REPO" >"$WORK/logs/make-repo-1.log" 2>&1 || { cat "$WORK/logs/make-repo-1.log"; die "make-repo.sh failed"; }
"$HERE/make-repo.sh" "$REPO" >"$WORK/logs/make-repo-2.log" 2>&1 || die "make-repo.sh (second run) failed"
grep -q 'is up to date' "$WORK/logs/make-repo-2.log" && pass "make-repo.sh: second run changes nothing" || fail "make-repo.sh second run was not a no-op"
"$HERE/make-repo.sh" "$WORK/copy.git" >/dev/null 2>&1
diff <(git --git-dir="$REPO" show-ref) <(git --git-dir="$WORK/copy.git" show-ref) >/dev/null \
  && pass "make-repo.sh is reproducible (identical ids in a second repository)" || fail "make-repo.sh is not reproducible"
tags="$(git --git-dir="$REPO" tag | sort | tr '\n' ' ')"
[ "$tags" = "v1.0.0 v1.1.0 v1.1.1-fail-health v1.1.1-fail-migration v1.2.0 " ] && pass "v-prefixed tags: $tags" || fail "tags: $tags"
in_tags=0
for t in $tags; do
  git --git-dir="$REPO" cat-file -e "$t:upshift.yaml" 2>/dev/null && in_tags=$((in_tags + 1))
  [ -f "$HERE/descriptors/${t#v}/upshift.yaml" ] || fail "no descriptor for $t in descriptors/${t#v}/"
done
[ "$in_tags" = 0 ] && pass "no tag carries an upshift.yaml; every tag has a descriptor in deploy/ledger/descriptors/" || fail "$in_tags tags carry an upshift.yaml"
"$DEPLOY_DIR/demo/flyway.sh" --prepare >"$WORK/logs/flyway-prepare.log" 2>&1 || { cat "$WORK/logs/flyway-prepare.log"; die "flyway.sh --prepare failed"; }

# ------------------------------------------------------------------------------------------ 2. v1.0.0
log "2. v1.0.0: fresh install (db, Flyway, ledger-migrate, manager first, the rest)"
if install main v1.0.0; then
  pass "v1.0.0: installed; db ready by its log line, manager healthy, api healthy, worker running 5 s"
  ports="$(docker inspect -f '{{json .HostConfig.PortBindings}}' "$(container_of db)")"
  [ "$ports" = "{}" ] || [ "$ports" = "null" ] && pass "db publishes no port to the host" || fail "db publishes $ports"
  dbs="$(psql_db postgres "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE NOT datistemplate")"
  [ "$dbs" = "files,ledger,postgres" ] && pass "LEDGER_DATABASES created the databases: $dbs" || fail "databases: $dbs"
  [ "$(docker inspect -f '{{if .State.Health}}yes{{else}}no{{end}}' "$(container_of worker)")" = no ] \
    && pass "worker has no healthcheck" || fail "worker has a healthcheck"
  out="$(ledger_migrate status)"; grep -q '^pending: 0' <<<"$out" && pass "ledger-migrate status: $(echo "$out" | tr '\n' ' ')" || fail "ledger-migrate status: $out"
  check_version "v1.0.0" 1.0.0 1 1
  write 20 "v100"
  check_writes "v1.0.0"

  # ---------------------------------------------------------------------------------------- 3. v1.1.0
  log "3. upgrade by hand v1.0.0 -> v1.1.0"
  if upgrade_by_hand v1.1.0 v1.0.0; then
    check_version "v1.1.0" 1.1.0 2 2
    [ "$(h env-get "$DIR/.env" LEDGER_CURRENCY)" = EUR ] && pass "v1.1.0: new required LEDGER_CURRENCY added with its default" || fail "v1.1.0: LEDGER_CURRENCY"
    nulls="$(psql_db ledger "SELECT count(*) FROM entries WHERE currency IS NULL")"
    [ "$nulls" = 0 ] && pass "v1.1.0: the hook filled the currency of every existing entry" || fail "v1.1.0: $nulls entries without currency"
    batch="$(h http GET "$(api)/api/version" | python3 -c 'import json, sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["config"]["worker"]["batch_size"])')"
    [ "$batch" = 250 ] && pass "v1.1.0: config/ledger.ini of the release is in use (worker batch_size 250)" || fail "v1.1.0: batch_size $batch"
    check_writes "v1.1.0 (writes of v1.0.0)"
    write 20 "v110"
    check_writes "v1.1.0"
  fi

  # ---------------------------------------------------------------------------------------- 4. fail-migration
  log "4. v1.1.0 -> v1.1.1-fail-migration, then a by-hand rollback of both databases and the volume"
  poison="$(printf 'poison-%.0s' $(seq 12))"   # 84 characters: longer than files 2.2's varchar(64)
  write 1 "$poison"
  stop_workloads
  if backup "before-fail-migration"; then pass "fail-migration: backup at the stop"; else fail "fail-migration: backup"; fi
  git -C "$DIR" checkout -q v1.1.1-fail-migration
  ct 120 pull -q >/dev/null 2>&1 || true
  flyway_ledger fail-migration-flyway.log && pass "fail-migration: Flyway applies ledger V2.1" || fail "fail-migration: flyway"
  if out="$(ledger_migrate upgrade 2>&1)"; then
    fail "fail-migration: ledger-migrate upgrade succeeded although a file name is longer than 64 characters"
  else
    grep -q 'value too long for type character varying(64)' <<<"$out" \
      && pass "fail-migration: ledger-migrate fails half-way: $(grep FAILED <<<"$out" | head -n 1)" \
      || fail "fail-migration: unexpected output: $out"
  fi
  fv="$(psql_db files "SELECT version FROM ledger_migrate_version")"
  lv="$(psql_db ledger "SELECT max(version) FROM flyway_schema_history WHERE success AND version = '2.1'")"
  sha="$(psql_db files "SELECT count(*) FROM information_schema.columns WHERE table_name = 'files' AND column_name = 'sha256'")"
  [ "$fv" = 2.1 ] && [ "$lv" = 2.1 ] && [ "$sha" = 1 ] \
    && pass "fail-migration: both databases changed (ledger at V2.1, files at 2.1 with column sha256): one point needs both restored" \
    || fail "fail-migration: state (files $fv, ledger $lv, sha256 $sha)"
  git -C "$DIR" checkout -q v1.1.0
  if restore "before-fail-migration"; then
    fv="$(psql_db files "SELECT version FROM ledger_migrate_version")"
    lv="$(psql_db ledger "SELECT max(version) FROM flyway_schema_history WHERE success")"
    [ "$fv" = 2 ] && [ "$lv" = 2 ] && pass "rollback by hand: both databases back at v1.1.0's versions (ledger 2, files 2) and the volume restored" \
      || fail "rollback by hand: versions ledger $lv, files $fv"
    start_manager_first rollback && wait_started && pass "rollback by hand: v1.1.0 started again" || { fail "rollback: start"; show_logs; }
    check_version "rollback" 1.1.0 2 2
    check_writes "after the rollback"
  else
    fail "rollback by hand: restore"
  fi

  # ---------------------------------------------------------------------------------------- 5. v1.2.0
  log "5. upgrade by hand v1.1.0 -> v1.2.0 (its manual step is a task for a person; nothing to do here)"
  if upgrade_by_hand v1.2.0 v1.1.0; then
    check_version "v1.2.0" 1.2.0 3 3
    ct_null="$(psql_db files "SELECT count(*) FROM files WHERE content_type IS NULL")"
    [ "$ct_null" = 0 ] && pass "v1.2.0: the hook filled every content type" || fail "v1.2.0: $ct_null files without content type"
    write 10 "v120"
    check_writes "v1.2.0"
  fi
fi
teardown

# ------------------------------------------------------------------------------------------ 6. fail-health
log "6. v1.1.0 -> v1.1.1-fail-health"
if install health v1.1.0; then
  write 5 "health"
  stop_workloads
  git -C "$DIR" checkout -q v1.1.1-fail-health
  flyway_ledger fail-health-flyway.log && ledger_migrate upgrade >"$WORK/logs/fail-health-migrate.log" 2>&1 \
    && pass "fail-health: both databases migrate (ledger V2.1, files 2.1)" || fail "fail-health: migrations"
  ct 180 up -d --no-deps manager >/dev/null 2>&1 && wait_state manager healthy 120 && ct 180 up -d >/dev/null 2>&1 \
    && pass "fail-health: manager healthy, the rest started" || fail "fail-health: start"
  wait_state api unhealthy 120 && pass "fail-health: api container turns unhealthy" || fail "fail-health: api is $(state_of api)"
  body="$(h http GET "$(api)/health")"
  [[ "$body" == 503* ]] && [[ "$body" == *"never became ready"* ]] && pass "fail-health: GET /health -> ${body:0:140}" || fail "fail-health: GET /health -> $body"
  running_for worker 3 && pass "fail-health: the worker runs (it has no healthcheck)" || fail "fail-health: worker"
fi
teardown

log "summary: ${PASSED} passed, ${#FAILED[@]} failed, $(elapsed "$T_START")"
if [ ${#FAILED[@]} -gt 0 ]; then
  printf '[selftest]   failed: %s\n' "${FAILED[@]}"
  exit 1
fi
echo "[selftest] ALL CHECKS PASSED"
