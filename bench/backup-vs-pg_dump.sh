#!/usr/bin/env bash
# Benchmark: Upshift's backup step against plain `pg_dump -Fc` of the same database.
#   bench/backup-vs-pg_dump.sh [ROWS] [RUNS]     defaults: 200000 3
# Installs the demo platform 1.0.0 (deploy/images/build-images.sh, deploy/demo/make-repo.sh, a
# clone of the release repository, its own compose project and free ports, Flyway seeding ROWS
# items through deploy/demo/flyway.sh), starts Upshift (`./upshift serve`, embedded engine) with
# the platform registered, then RUNS times, alternating:
#   - pg_dump: `docker exec <db container> pg_dump -Fc -U <user> -d <db> > file`, wall time;
#   - Upshift: a platform-upgrade run to 1.1.0 through the API; its backup step
#     (upshift.backup.database: pg_dump -Fc streamed through the Docker API, pg_dumpall
#     --globals-only, config files, manifest, verification, catalog) timed by the run journal
#     (durationMs); the run is then cancelled before its approval, and the next measurement waits
#     until no step of it is still working (the restore rehearsal follows the backup).
# Prints each pair, the medians and their ratio. Results: docs/benchmarks.md, "Backup".
set -euo pipefail

ROWS="${1:-200000}" RUNS="${2:-3}"
[[ "$ROWS" =~ ^[0-9]{1,8}$ ]] || { echo "[bench] ROWS is a whole number, got '$ROWS'" >&2; exit 2; }
[[ "$RUNS" =~ ^[1-9][0-9]{0,2}$ ]] || { echo "[bench] RUNS is a whole number 1-999, got '$RUNS'" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/jdk.sh
. "$ROOT/bench/lib/jdk.sh"
# shellcheck source=lib/service.sh
. "$ROOT/bench/lib/service.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/upshift-backup-bench.XXXXXX")"
PROJECT="upshift-bench-backup-$$"
DIR="$WORK/platform"
PID=""
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
compose() { (cd "$DIR" && "${COMPOSE[@]}" -p "$PROJECT" "$@"); }
cleanup() {
  bench_stop_service
  [ -f "$DIR/docker-compose.yml" ] && compose down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '[bench] %s\n' "$*" >&2; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
load() { uptime | sed 's/.*load average: //'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
env_get() { sed -n "s/^$1=//p" "$DIR/.env" | tail -1; }
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$(compose ps -q "$1")" 2>/dev/null || echo absent; }
wait_healthy() { # SERVICE...
  local s deadline=$(( $(date +%s) + 180 ))
  for s in "$@"; do
    until [ "$(health "$s")" = healthy ]; do
      [ "$(date +%s)" -lt "$deadline" ] || { say "$s is not healthy after 180 s"; compose logs --tail 30 >&2; exit 1; }
      sleep 1
    done
  done
}

bench_pick_jdk
say "load before: $(load)"
say "demo images and release repository"
bash "$ROOT/deploy/images/build-images.sh" >"$WORK/images.log" 2>&1 || { tail -30 "$WORK/images.log" >&2; exit 1; }
bash "$ROOT/deploy/demo/make-repo.sh" "$WORK/platform.git" >"$WORK/repo.log" 2>&1 || { cat "$WORK/repo.log" >&2; exit 1; }

t0=$(date +%s%N)
git clone -q "$WORK/platform.git" "$DIR"
git -C "$DIR" checkout -q 1.0.0
sed -e "s/^DB_PORT=.*/DB_PORT=$(free_port)/" -e "s/^BACKEND_PORT=.*/BACKEND_PORT=$(free_port)/" \
  "$DIR/.env.example" >"$DIR/.env"
compose up -d db >"$WORK/compose.log" 2>&1 || { cat "$WORK/compose.log" >&2; exit 1; }
wait_healthy db
UPSHIFT_SEED_ROWS="$ROWS" UPSHIFT_SEED_POISON=off "$ROOT/deploy/demo/flyway.sh" --platform "$DIR" \
  >"$WORK/flyway.log" 2>&1 || { tail -30 "$WORK/flyway.log" >&2; exit 1; }
compose up -d >>"$WORK/compose.log" 2>&1 || { cat "$WORK/compose.log" >&2; exit 1; }
wait_healthy db backend worker
DB="$(compose ps -q db)" DB_USER="$(env_get POSTGRES_USER)" DB_NAME="$(env_get POSTGRES_DB)"
items="$(docker exec "$DB" psql -X -tA -U "$DB_USER" -d "$DB_NAME" -c 'SELECT count(*) FROM items')"
size="$(docker exec "$DB" psql -X -tA -U "$DB_USER" -d "$DB_NAME" -c "SELECT pg_size_pretty(pg_database_size('$DB_NAME'))")"
echo "demo platform 1.0.0 installed in $(ms "$t0") ms: $items items, database $size (project $PROJECT)"

bench_build_jar
bench_start_service \
  --upshift.platforms.bench.repository="file://$WORK/platform.git" \
  --upshift.platforms.bench.working-directory="$DIR" \
  --upshift.platforms.bench.compose-project="$PROJECT"
say "Upshift ready in $STARTUP_MS ms"

run_json() { bench_api "$BASE/api/runs/$1"; }
upshift_backup() { # writes "<durationMs> <dump bytes>" of the backup step of a new run to $WORK/result
  local id state deadline=$(( $(date +%s) + 600 ))
  id="$(bench_api -d '{"runbook": "platform-upgrade", "variables": {"platform": "bench", "targetVersion": "1.1.0"}}' \
    "$BASE/api/runs" | jq -r .id)"
  while :; do
    run_json "$id" >"$WORK/run.json"
    state="$(jq -r '[.steps[] | select(.jobType == "upshift.backup.database")] | last | .state // "none"' "$WORK/run.json")"
    [ "$state" = completed ] && break
    if [ "$state" = failed ] || [ "$state" = error ] || [ "$(jq -r .state "$WORK/run.json")" != active ]; then
      say "run $id: backup step $state, run $(jq -r '.state + " " + (.outcomeMessage // .incident // "")' "$WORK/run.json")"
      exit 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { say "run $id: no backup after 600 s"; exit 1; }
    sleep 0.2
  done
  jq -r '[.steps[] | select(.jobType == "upshift.backup.database")] | last | .durationMs' "$WORK/run.json" >"$WORK/duration"
  bench_api -d '{"reason": "benchmark: backup measured"}' "$BASE/api/runs/$id/cancel" >/dev/null
  # The rehearsal that follows the backup keeps working after the cancel: wait for its end.
  until [ "$(run_json "$id" | jq '[.steps[] | select(.state == "started")] | length')" = 0 ] &&
    [ "$(run_json "$id" | jq -r .state)" != active ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { say "run $id: steps still working after 600 s"; exit 1; }
    sleep 0.5
  done
  echo "$(cat "$WORK/duration") $(find "$WORK/data/backups/bench" -path "*run-$id/*.dump" -printf '%s\n' | head -1)" >"$WORK/result"
}

pg=() up=()
for run in $(seq 1 "$RUNS"); do
  t1=$(date +%s%N)
  docker exec "$DB" pg_dump -Fc -U "$DB_USER" -d "$DB_NAME" >"$WORK/pg_dump.dump"
  pg+=("$(ms "$t1")")
  pg_bytes="$(stat -c %s "$WORK/pg_dump.dump")"
  upshift_backup
  read -r backup_ms backup_bytes <"$WORK/result"
  up+=("$backup_ms")
  echo "run $run (load $(load)): pg_dump -Fc ${pg[-1]} ms ($pg_bytes bytes); Upshift backup step ${backup_ms} ms (dump $backup_bytes bytes)"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
pg_median="$(median "${pg[@]}")" up_median="$(median "${up[@]}")"
echo "RESULT rows=$items runs=$RUNS: pg_dump -Fc median $pg_median ms, Upshift backup step median $up_median ms," \
  "ratio $(awk -v a="$up_median" -v b="$pg_median" 'BEGIN {printf "%.2f", a / b}')x"
say "load after: $(load)"
