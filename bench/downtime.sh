#!/usr/bin/env bash
# Benchmark (issue 17, "Downtime"): what the users of the demo platform see during an upgrade, for
# four contestants, while a prober GETs /health every 50 ms and a writer POSTs an item every 100 ms.
#
#   bench/downtime.sh [--runs N] [--scenarios LIST] [--contestants LIST] [--rows N] [--until HH:MM]
#     --runs N          runs per contestant and scenario (default 5)
#     --scenarios       comma-separated, of 1.0.0-1.1.0 and 1.2.0-2.0.0 (default both)
#     --contestants     comma-separated, of upshift, safe-order, seed-001, floor (default all four)
#     --rows N          items seeded into the demo database (default 200000)
#     --until HH:MM     start no new run after this time of day (machine time); the summary then
#                       covers the runs made
#
# Contestants (each starts from a fresh install of the scenario's start release, seeded with ROWS
# items, with the target release's backend image absent locally; it stays in the registry):
#   upshift     a platform-upgrade run through the REST API of `./upshift serve` (embedded engine),
#               requested by one bench user (OPERATOR) and approved by another (APPROVER), maintenance
#               window and sign-off approved as soon as they wait (a rollback's review is decided
#               "reject", keeping the failed state, and the run counts as failed);
#   safe-order  seed 003's order as a plain script: backup (pg_dump -Fc), stop (the application
#               services; the database stays up because the next steps migrate it), checkout,
#               migrate (Flyway), config (.env migration), pull + start, verify (health until 200,
#               one write, the logs);
#   seed-001    seed 001's upgrade_platform.sh as written: backup (pg_dumpall), git fetch + checkout,
#               migrations while the old release still runs, then down, pull, up -d, and its
#               verify_upgrade.sh (compose ps, one curl of /health, pg_isready, one write). Adapted
#               only where the demo requires it: Flyway for alembic, and the .env migration right
#               after the checkout (compose refuses every command without the new required variable);
#               the volume tarball is left out (the demo's only volume is the database, dumped above);
#   floor       stop (application services) + migrate + start + health, nothing else inside the
#               downtime. The target image is pulled, the release checked out and .env migrated
#               while the old release still serves: those need no downtime, and the issue's floor is
#               "stop + migrate + start + health".
# Runs alternate: round r runs every scenario, and in it every contestant, the contestants' order
# rotated by one per round.
#
# Measured per run: the downtime users saw (the longest window without a 2xx probe: first failed
# probe to first success after it), all outage windows, writes attempted / acknowledged / lost (an
# acknowledged id missing from the database afterwards), the contestant's wall time, the steps or
# phases that overlap the longest outage, and for Upshift the downtime its run reported and its
# estimate (the rehearsal's). Install and reset time is excluded.
#
# Isolation: its own compose project (upshift-bench-downtime-<pid>), free ports, and its own image
# names: the demo images are tagged and pushed as localhost:5000/upshift-bench-downtime/upshift-demo/*
# (UPSHIFT_REGISTRY in the platform's .env), so removing the target tag before each run never
# touches an image another user's containers run. On exit it removes its project (volumes
# included), its local image tags, the service and its work directory; the result table stays in
# the file it names, and each run's figures and logs in the folder next to it. Results: docs/benchmarks.md, "Downtime".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=5 ROWS=200000 UNTIL=""
SCENARIOS="1.0.0-1.1.0,1.2.0-2.0.0" CONTESTANTS="upshift,safe-order,seed-001,floor"
usage() { sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die_arg() { echo "[bench] $*" >&2; usage; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) [ $# -ge 2 ] || die_arg "--runs needs a value"; RUNS="$2"; shift 2 ;;
    --scenarios) [ $# -ge 2 ] || die_arg "--scenarios needs a value"; SCENARIOS="$2"; shift 2 ;;
    --contestants) [ $# -ge 2 ] || die_arg "--contestants needs a value"; CONTESTANTS="$2"; shift 2 ;;
    --rows) [ $# -ge 2 ] || die_arg "--rows needs a value"; ROWS="$2"; shift 2 ;;
    --until) [ $# -ge 2 ] || die_arg "--until needs a value"; UNTIL="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) die_arg "unknown argument '$1'" ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]?$ ]] || die_arg "--runs is a whole number 1-99, got '$RUNS'"
[[ "$ROWS" =~ ^[0-9]{1,8}$ ]] || die_arg "--rows is a whole number, got '$ROWS'"
[ -z "$UNTIL" ] || [[ "$UNTIL" =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || die_arg "--until is HH:MM, got '$UNTIL'"
IFS=, read -r -a SCENARIO_LIST <<<"$SCENARIOS"
IFS=, read -r -a CONTESTANT_LIST <<<"$CONTESTANTS"
[ "${#SCENARIO_LIST[@]}" -gt 0 ] || die_arg "--scenarios is empty"
[ "${#CONTESTANT_LIST[@]}" -gt 0 ] || die_arg "--contestants is empty"
for s in "${SCENARIO_LIST[@]}"; do
  case "$s" in 1.0.0-1.1.0|1.2.0-2.0.0) ;; *) die_arg "unknown scenario '$s' (1.0.0-1.1.0, 1.2.0-2.0.0)" ;; esac
done
for c in "${CONTESTANT_LIST[@]}"; do
  case "$c" in upshift|safe-order|seed-001|floor) ;; *) die_arg "unknown contestant '$c' (upshift, safe-order, seed-001, floor)" ;; esac
done
until_epoch=""
[ -z "$UNTIL" ] || until_epoch="$(date -d "today $UNTIL" +%s)"

# shellcheck source=lib/jdk.sh
. "$ROOT/bench/lib/jdk.sh"
# shellcheck source=lib/service.sh
. "$ROOT/bench/lib/service.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/upshift-downtime-bench.XXXXXX")"
RESULTS="${TMPDIR:-/tmp}/upshift-downtime-$(date +%Y%m%d-%H%M%S)-$$.tsv"
DETAILS="${RESULTS%.tsv}.runs" # per run: meta, phases, the prober's figures, the contestant's log, Upshift's run
PROJECT="upshift-bench-downtime-$$"
DIR="$WORK/platform"
REGISTRY_NS="localhost:5000/upshift-bench-downtime"
PID="" PROBE_PID=""
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
compose() { (cd "$DIR" && timeout 300 "${COMPOSE[@]}" -p "$PROJECT" "$@"); }
say() { printf '[bench] %s\n' "$*" >&2; }
cleanup() {
  set +e
  if [ -n "$PROBE_PID" ]; then kill "$PROBE_PID" 2>/dev/null; wait "$PROBE_PID" 2>/dev/null; fi
  bench_stop_service
  [ -f "$DIR/docker-compose.yml" ] && compose down -v --remove-orphans >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$REGISTRY_NS/" | xargs -r docker rmi >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
load() { cut -d' ' -f1-3 /proc/loadavg; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
env_get() { sed -n "s/^$1=//p" "$DIR/.env" | tail -1; }
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$(compose ps -q "$1")" 2>/dev/null || echo absent; }
wait_healthy() { # SERVICE...
  local s deadline=$(( $(date +%s) + 240 ))
  for s in "$@"; do
    until [ "$(health "$s")" = healthy ]; do
      [ "$(date +%s)" -lt "$deadline" ] || { say "$s is not healthy after 240 s"; compose logs --tail 30 >&2; exit 1; }
      sleep 0.5
    done
  done
}
wait_http_up() { # SECONDS: /health answers 2xx
  local deadline=$(( $(date +%s) + $1 ))
  until curl -fsS -o /dev/null --max-time 1 "$APP/health" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
psql_app() { docker exec -i "$(compose ps -q db)" psql -X -q -tA -v ON_ERROR_STOP=1 -U app -d app "$@"; }

# ---- one-time setup: images under the bench's own names, the release repository, Upshift ----
bench_pick_jdk
say "load average before: $(load); results: $RESULTS, per run: $DETAILS"
bash "$ROOT/deploy/images/build-images.sh" >"$WORK/images.log" 2>&1 || { tail -30 "$WORK/images.log" >&2; exit 1; }
for ref in postgres:15 backend:1.0.0 backend:1.1.0 backend:1.2.0 backend:2.0.0; do
  docker pull -q "localhost:5000/upshift-demo/$ref" >/dev/null
  docker tag "localhost:5000/upshift-demo/$ref" "$REGISTRY_NS/upshift-demo/$ref"
  docker push -q "$REGISTRY_NS/upshift-demo/$ref" >/dev/null
done
bash "$ROOT/deploy/demo/make-repo.sh" "$WORK/platform.git" >"$WORK/repo.log" 2>&1 || { cat "$WORK/repo.log" >&2; exit 1; }
bash "$ROOT/deploy/demo/flyway.sh" --prepare >"$WORK/flyway-prepare.log" 2>&1 || { cat "$WORK/flyway-prepare.log" >&2; exit 1; }
DB_PORT="$(free_port)" BACKEND_PORT="$(free_port)"
APP="http://127.0.0.1:$BACKEND_PORT"

need_upshift=no
for c in "${CONTESTANT_LIST[@]}"; do [ "$c" = upshift ] && need_upshift=yes; done
if [ "$need_upshift" = yes ]; then
  bench_build_jar
  APPROVER_TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  approver_sha="$(printf '%s' "$APPROVER_TOKEN" | sha256sum | cut -d' ' -f1)"
  approver_hash='$2a$10$'"$(LC_ALL=C tr -dc './A-Za-z0-9' </dev/urandom | head -c 53 || true)"
  bench_start_service \
    --upshift.platforms.bench.repository="file://$WORK/platform.git" \
    --upshift.platforms.bench.working-directory="$DIR" \
    --upshift.platforms.bench.compose-project="$PROJECT" \
    --upshift.security.users[1].name=bench-approver --upshift.security.users[1].password-hash="$approver_hash" \
    --upshift.security.users[1].roles=APPROVER,VIEWER --upshift.security.users[1].api-token-sha256="$approver_sha"
  say "Upshift ready in $STARTUP_MS ms"
fi
approver_api() { curl -fsS -H "Authorization: Bearer $APPROVER_TOKEN" -H 'Content-Type: application/json' "$@"; }

# ---- reset: a fresh install of the start release, seeded; the target image absent locally ----
install_release() { # VERSION TARGET
  local t0
  t0=$(date +%s%N)
  [ -f "$DIR/docker-compose.yml" ] && compose down -v --remove-orphans >"$WORK/reset.log" 2>&1
  rm -rf "$DIR"
  git clone -q "$WORK/platform.git" "$DIR"
  git -C "$DIR" checkout -q "$1"
  sed -e "s/^DB_PORT=.*/DB_PORT=$DB_PORT/" -e "s/^BACKEND_PORT=.*/BACKEND_PORT=$BACKEND_PORT/" \
    "$DIR/.env.example" >"$DIR/.env"
  echo "UPSHIFT_REGISTRY=$REGISTRY_NS" >>"$DIR/.env"
  compose up -d db >"$WORK/reset.log" 2>&1 || { cat "$WORK/reset.log" >&2; exit 1; }
  wait_healthy db
  UPSHIFT_SEED_ROWS="$ROWS" UPSHIFT_SEED_POISON=off "$ROOT/deploy/demo/flyway.sh" --platform "$DIR" \
    >"$WORK/flyway.log" 2>&1 || { tail -30 "$WORK/flyway.log" >&2; exit 1; }
  compose up -d >>"$WORK/reset.log" 2>&1 || { cat "$WORK/reset.log" >&2; exit 1; }
  wait_healthy db backend worker
  wait_http_up 60 || { say "the fresh $1 does not answer /health"; exit 1; }
  docker rmi "$REGISTRY_NS/upshift-demo/backend:$2" >/dev/null 2>&1 || true
  if docker image inspect "$REGISTRY_NS/upshift-demo/backend:$2" >/dev/null 2>&1; then
    say "the target image $REGISTRY_NS/upshift-demo/backend:$2 is still present"; exit 1
  fi
  say "reset to $1 ($(psql_app -c 'SELECT count(*) FROM items') items) in $(ms_since "$t0") ms"
}

# ---- contestants; each writes $RUN_DIR/phases.tsv (name, start ms, end ms) ----
phase() { # NAME COMMAND...: runs it, records its interval
  local name="$1" s rc=0
  shift
  s=$(now_ms)
  "$@" >>"$RUN_DIR/contestant.log" 2>&1 || rc=$?
  printf '%s\t%s\t%s\n' "$name" "$s" "$(now_ms)" >>"$RUN_DIR/phases.tsv"
  [ "$rc" = 0 ] || { say "$name failed (exit $rc); log: $RUN_DIR/contestant.log"; tail -20 "$RUN_DIR/contestant.log" >&2; return "$rc"; }
}
flyway_migrate() { "$ROOT/deploy/demo/flyway.sh" --platform "$DIR"; }
migrate_env() { (cd "$DIR" && python3 "$ROOT/deploy/demo/lib/demo_platform.py" migrate-env upshift.yaml .env); }
checkout() { git -C "$DIR" fetch -q --tags origin && git -C "$DIR" checkout -q "$1"; }
health_until_up() { wait_http_up 180; }
items_path() { if [ "$1" = 2.0.0 ]; then echo /api/v2/items; else echo /api/items; fi; }
smoke_write() { curl -fsS -X POST -H 'Content-Type: application/json' -d '{"name": "verify after upgrade"}' "$APP$(items_path "$1")"; }

db_exec() { docker exec "$(compose ps -q db)" "$@"; }
backup_pg_dump() { db_exec pg_dump -Fc -U app -d app >"$RUN_DIR/backup.dump" && cp "$DIR/.env" "$RUN_DIR/env.backup"; }
verify_safe_order() { wait_http_up 180 && smoke_write "$1" && compose logs --tail=100; }
contestant_safe_order() { # TARGET
  phase backup backup_pg_dump || return
  phase stop compose stop worker backend || return
  phase checkout checkout "$1" || return
  phase migrate flyway_migrate || return
  phase config migrate_env || return
  phase pull compose pull backend worker || return
  phase start compose up -d || return
  phase verify verify_safe_order "$1"
}

backup_pg_dumpall() { db_exec pg_dumpall -U postgres >"$RUN_DIR/postgres_backup.sql"; }
verify_upgrade_sh() { # verify_upgrade.sh as written: no waiting, no failing (each check echoes instead)
  compose ps
  curl -f "$APP/health" || echo "Backend not ready"
  db_exec pg_isready -U postgres || echo "Database not ready"
  curl -X POST "$APP$(items_path "$1")" -H 'Content-Type: application/json' -d '{"name": "verify after upgrade"}'
  return 0
}
contestant_seed_001() { # TARGET; set -e in the seed's script: the first failure ends it
  phase backup backup_pg_dumpall || return
  phase checkout checkout "$1" || return
  phase config migrate_env || return
  phase migrate flyway_migrate || return
  phase down compose down || return
  phase pull compose pull || return
  phase up compose up -d || return
  phase verify verify_upgrade_sh "$1"
}

contestant_floor() { # TARGET
  # outside the downtime, while the old release serves: the image, the files, the configuration
  phase prepare-pull docker pull -q "$REGISTRY_NS/upshift-demo/backend:$1" || return
  phase prepare-checkout checkout "$1" || return
  phase prepare-config migrate_env || return
  # the floor
  phase stop compose stop worker backend || return
  phase migrate flyway_migrate || return
  phase start compose up -d || return
  phase health health_until_up
}

contestant_upshift() { # TARGET
  local id state tasks task_id element deadline=$(( $(date +%s) + 900 ))
  id="$(bench_api -d "{\"runbook\": \"platform-upgrade\", \"variables\": {\"platform\": \"bench\", \"targetVersion\": \"$1\"}}" \
    "$BASE/api/runs" | jq -r .id)"
  echo "run $id" >>"$RUN_DIR/contestant.log"
  while :; do
    tasks="$(approver_api "$BASE/api/approvals?runId=$id")"
    for task_id in $(jq -r '.[] | select(.state == "waiting") | .id' <<<"$tasks"); do
      element="$(jq -r ".[] | select(.id == $task_id) | .elementId" <<<"$tasks")"
      case "$element" in
        ApproveMaintenanceWindow|SignOffUpgrade|ManualStepsAfterMigrations|ManualStepsAfterStart)
          approver_api -d '{"decision": "approve", "comment": "downtime benchmark"}' \
            "$BASE/api/approvals/$task_id/decision" >/dev/null
          echo "approved $element ($task_id) at $(now_ms)" >>"$RUN_DIR/contestant.log" ;;
        ReviewRollback)
          # The run rolled back (counted as a failed run). "reject" keeps the failed state (nothing
          # dropped) and ends the run; the next run reinstalls the platform anyway.
          say "run $id rolled back: $(jq -c ".[] | select(.id == $task_id) | .evidence" <<<"$tasks" | head -c 600)"
          approver_api -d '{"decision": "reject", "comment": "downtime benchmark: keep the failed state"}' \
            "$BASE/api/approvals/$task_id/decision" >/dev/null || true ;;
        *)
          say "run $id waits for $element: $(jq -c ".[] | select(.id == $task_id) | .evidence" <<<"$tasks" | head -c 600)"
          approver_api -d '{"decision": "abort", "comment": "downtime benchmark: a step failed"}' \
            "$BASE/api/approvals/$task_id/decision" >/dev/null || true ;;
      esac
    done
    bench_api "$BASE/api/runs/$id" >"$RUN_DIR/run.json"
    state="$(jq -r .state "$RUN_DIR/run.json")"
    [ "$state" = active ] || break
    [ "$(date +%s)" -lt "$deadline" ] || { say "run $id still active after 900 s"; break; }
    sleep 0.3
  done
  bench_api "$BASE/api/runs/$id/record" >"$RUN_DIR/record.json" 2>/dev/null || true
  python3 "$ROOT/bench/lib/downtime_report.py" upshift "$RUN_DIR/run.json" "$RUN_DIR"
  echo "run $id ended $state: $(jq -r '.outcomeMessage // .incident // ""' "$RUN_DIR/run.json")" >>"$RUN_DIR/contestant.log"
  [ "$state" = completed ] || { say "run $id ended $state: $(jq -r '.outcomeMessage // .incident // ""' "$RUN_DIR/run.json")"; return 1; }
}

# ---- one measured run ----
measure() { # SCENARIO CONTESTANT ROUND
  local from="${1%-*}" to="${1#*-}" t0 rc=0 ids found lost release
  RUN_DIR="$WORK/runs/$1-$2-$3"
  mkdir -p "$RUN_DIR"
  install_release "$from" "$to"
  : >"$RUN_DIR/phases.tsv"
  printf 'scenario\t%s\ncontestant\t%s\nround\t%s\n' "$1" "$2" "$3" >"$RUN_DIR/meta.tsv"
  rm -f "$RUN_DIR/stop"
  python3 "$ROOT/bench/lib/downtime_probe.py" "$APP" "$RUN_DIR" "$RUN_DIR/stop" 1200 "$2-$3" &
  PROBE_PID=$!
  sleep 2 # a baseline of answered probes and writes
  printf 'load\t%s\n' "$(load | tr ' ' /)" >>"$RUN_DIR/meta.tsv"
  t0=$(date +%s%N)
  "contestant_${2//-/_}" "$to" || rc=$?
  printf 'wall_s\t%s\n' "$(awk -v m="$(ms_since "$t0")" 'BEGIN {printf "%.1f", m / 1000}')" >>"$RUN_DIR/meta.tsv"
  wait_http_up 180 || say "$2: /health does not answer 180 s after the contestant ended"
  sleep 2 # a tail of answered probes
  touch "$RUN_DIR/stop"
  wait "$PROBE_PID" || true
  PROBE_PID=""
  ids="$(paste -sd, "$RUN_DIR/acked-ids")"
  found=0
  [ -z "$ids" ] || found="$(psql_app -c "SELECT count(*) FROM items WHERE id IN ($ids)")"
  lost=$(( $(grep -c . "$RUN_DIR/acked-ids" || true) - found ))
  release="$(curl -fsS --max-time 2 "$APP/api/version" | jq -r .release 2>/dev/null || echo '?')"
  [ "$rc" = 0 ] || release="$release(contestant failed)"
  printf 'lost\t%s\nrelease\t%s\n' "$lost" "$release" >>"$RUN_DIR/meta.tsv"
  python3 "$ROOT/bench/lib/downtime_report.py" row "$RUN_DIR" >>"$RESULTS"
  mkdir -p "$DETAILS/$(basename "$RUN_DIR")"
  cp "$RUN_DIR"/{meta.tsv,phases.tsv,probe.json,contestant.log} "$DETAILS/$(basename "$RUN_DIR")/" 2>/dev/null || true
  [ ! -f "$RUN_DIR/run.json" ] || cp "$RUN_DIR/run.json" "$RUN_DIR/record.json" "$DETAILS/$(basename "$RUN_DIR")/" 2>/dev/null || true
  tail -1 "$RESULTS" | awk -F'\t' '{printf "%-12s %-10s round %s: downtime %s s (total %s s, %s windows), writes %s/%s acked, lost %s, wall %s s, upshift reported %s s / all started %s s / estimate %s s, release %s, load %s; in the outage: %s\n", $1, $2, $3, $4, $5, $6, $10, $9, $12, $13, $14, $15, $16, $17, $18, $19}'
}

python3 "$ROOT/bench/lib/downtime_report.py" header >"$RESULTS"
runs_done=0
for round in $(seq 1 "$RUNS"); do
  for scenario in "${SCENARIO_LIST[@]}"; do
    n="${#CONTESTANT_LIST[@]}"
    for i in $(seq 0 $(( n - 1 ))); do
      contestant="${CONTESTANT_LIST[$(( (i + round - 1) % n ))]}"
      if [ -n "$until_epoch" ] && [ "$(date +%s)" -ge "$until_epoch" ]; then
        say "--until $UNTIL reached: no new run (round $round, $scenario, $contestant)"
        break 3
      fi
      measure "$scenario" "$contestant" "$round"
      runs_done=$(( runs_done + 1 ))
    done
  done
done
echo
echo "SUMMARY ($runs_done runs, rows $ROWS, results $RESULTS; load average now $(load))"
python3 "$ROOT/bench/lib/downtime_report.py" summary "$RESULTS"
