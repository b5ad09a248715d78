#!/usr/bin/env bash
# Benchmark of upgrade path verification (docs/benchmarks.md, "Upgrade path verification").
#
#   bench/path-verification.sh [--no-sharing] [--from VERSION] [--keep DIR]
#
# Generates a platform repository with 14 releases across 3 minor lines (1.0.0-1.0.4 on branch 1.0,
# 1.1.0-1.1.4 on branch 1.1, 1.2.0-1.2.3 on main), each release adding a Flyway migration (a table
# with an index and a foreign key), under the policy withinLine: consecutive, leaveLine: from-latest,
# skipLines: false. Then runs './upshift paths verify' on it (every allowed path from --from, default
# 1.0.0, to 1.2.3, plus a fresh install) and prints paths, databases, total time and time per path.
# --no-sharing replays every path from an empty database instead of restoring shared prefixes
# (CREATE DATABASE ... TEMPLATE), for comparison. Needs Docker and the demo PostgreSQL image
# (deploy/images/build-images.sh builds it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FROM=1.0.0 SHARING="" KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-sharing) SHARING="--no-sharing" ;;
    --from) FROM="$2"; shift ;;
    --keep) KEEP="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

WORK="${KEEP:-$(mktemp -d)}"
[ -n "$KEEP" ] || trap 'rm -rf "$WORK"' EXIT
REPO="$WORK/catalog"
rm -rf "$REPO" && mkdir -p "$REPO"
git -C "$REPO" init -q -b 1.0
git -C "$REPO" config user.email bench@example.org
git -C "$REPO" config user.name bench

release() { # release VERSION BRANCH: adds its migration on top of the branch and tags it
  local version="$1" branch="$2" minor patch
  minor="$(echo "$version" | cut -d. -f2)" patch="$(echo "$version" | cut -d. -f3)"
  git -C "$REPO" checkout -q -B "$branch"
  mkdir -p "$REPO/migrations"
  cat >"$REPO/migrations/V1_${minor}_${patch}__table_${minor}_${patch}.sql" <<SQL
CREATE TABLE t_${minor}_${patch} (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  parent_id BIGINT REFERENCES t_${minor}_${patch} (id)
);
CREATE INDEX t_${minor}_${patch}_name_idx ON t_${minor}_${patch} (name);
INSERT INTO t_${minor}_${patch} (name) SELECT 'row ' || g FROM generate_series(1, 100) g;
SQL
  cat >"$REPO/docker-compose.yml" <<'YAML'
services:
  db:
    image: ${UPSHIFT_REGISTRY:-localhost:5000}/upshift-demo/postgres:15
YAML
  cat >"$REPO/upshift.yaml" <<YAML
descriptorVersion: 1
platform: {name: bench, version: "$version"}
compose: {file: docker-compose.yml}
services:
  - {name: db, role: database, stopOrder: 1}
database:
  service: db
  engine: postgresql
  variables: {name: POSTGRES_DB, user: POSTGRES_USER, password: POSTGRES_PASSWORD, port: DB_PORT}
  migrations: {tool: flyway, location: migrations}
upgrade:
  policy: {line: minor, withinLine: consecutive, leaveLine: from-latest, skipLines: false}
YAML
  git -C "$REPO" add -A
  git -C "$REPO" commit -q -m "release $version"
  git -C "$REPO" tag "$version"
}

for p in 0 1 2 3 4; do release "1.0.$p" 1.0; done
for p in 0 1 2 3 4; do release "1.1.$p" 1.1; done
for p in 0 1 2 3; do release "1.2.$p" main; done
echo "[bench] catalog: $(git -C "$REPO" tag | wc -l) releases in $REPO" >&2

# Build if needed, then run a copy of the jar: a build in the same checkout meanwhile (tests)
# would otherwise replace the jar under the running JVM.
"$ROOT/upshift" paths --help >/dev/null
cp "$ROOT/workers/target/upshift.jar" "$WORK/upshift.jar"
export UPSHIFT_JAR="$WORK/upshift.jar"

REPORT="$WORK/report.txt"
start=$(date +%s%N)
set +e
"$ROOT/upshift" paths verify "$REPO" --from "$FROM" --report "$REPORT" $SHARING >/dev/null
code=$?
set -e
end=$(date +%s%N)
[ -f "$REPORT" ] || { echo "[bench] verification did not produce a report (exit $code)" >&2; exit 1; }
summary="$(grep -E '^[0-9]+ paths, ' "$REPORT")"
paths="$(echo "$summary" | cut -d' ' -f1)"
databases="$(echo "$summary" | sed -E 's/.* ([0-9]+) databases.*/\1/')"
verify_ms="$(echo "$summary" | sed -E 's/.*; ([0-9]+) ms \(snapshots.*/\1/')"
split="$(echo "$summary" | sed -E 's/.* ms \((.*)\)$/\1/')"
wall_ms=$(( (end - start) / 1000000 ))
grep -E '^(path|fresh|[0-9.]+ ->)' "$REPORT" | head -5 >&2
echo "[bench] result: $(tail -1 "$REPORT") (exit $code)"
echo "[bench] sharing: ${SHARING:-template databases}; from $FROM; paths: $paths (+ fresh install counted); databases: $databases"
echo "[bench] verification: $verify_ms ms ($split); per path: $(( verify_ms / paths )) ms; wall clock incl. JVM, git and catalog generation: $wall_ms ms"
