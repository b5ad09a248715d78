#!/usr/bin/env bash
# Runs the Flyway command line (OSS 11.7.2, the version Spring Boot 3.5 manages) with the PostgreSQL
# JDBC driver, both resolved from Maven Central on first use and cached.
#
#   deploy/demo/flyway.sh --platform DIR [COMMAND ...]   COMMAND: migrate (default), info, validate, ...
#   deploy/demo/flyway.sh [FLYWAY ARGUMENTS ...]         the plain Flyway command line
#   deploy/demo/flyway.sh --prepare                      only resolve and cache the jars
#
# --platform DIR: DIR is a checked-out release of the demo platform. The JDBC url, user and password
# come from DIR/.env through the variable names in DIR/upshift.yaml (database.variables: DB_PORT,
# POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD), the migrations from DIR/migrations; the database is
# reached on 127.0.0.1 (the db service publishes its port there).
#
# Seeding (migration V2 of the demo): UPSHIFT_SEED_ROWS=200000 and UPSHIFT_SEED_POISON=off are passed
# to the database session as the settings upshift.seed_rows / upshift.seed_poison (JDBC "options").
#
# Needs Java >= 17 and Maven (installed with apt-get when missing and running as root).
# Cache: $UPSHIFT_STATE_DIR/tools (default /var/lib/upshift/tools).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$HERE/lib/flyway-cli/pom.xml"
CACHE_ROOT="${UPSHIFT_STATE_DIR:-/var/lib/upshift}/tools"

log() { printf '[flyway] %s\n' "$*" >&2; }
die() { printf '[flyway] ERROR: %s\n' "$*" >&2; exit 1; }

apt_install() {
  [ "$(id -u)" -eq 0 ] || die "$1 is missing; install it (apt-get install -y $2) or run as root"
  log "installing $2 (apt-get)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
}

java_major() { "$1" -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }'; }
find_java() {
  local c
  for c in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    if [ "$(java_major "$c")" -ge 17 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}

prepare() {
  local key
  key="$(sha256sum "$POM" | cut -c1-12)"
  LIB="$CACHE_ROOT/flyway-cli-$key"
  [ -f "$LIB/.complete" ] && return 0
  command -v mvn >/dev/null 2>&1 || apt_install "Maven" maven
  log "resolving the Flyway command line from Maven Central into $LIB"
  rm -rf "$LIB.tmp"
  mkdir -p "$LIB.tmp"
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$LIB.tmp" >"$CACHE_ROOT/flyway-resolve.log" 2>&1; then
    tail -n 20 "$CACHE_ROOT/flyway-resolve.log" >&2
    die "could not resolve the Flyway jars (log: $CACHE_ROOT/flyway-resolve.log)"
  fi
  touch "$LIB.tmp/.complete"
  rm -rf "$LIB"
  mv "$LIB.tmp" "$LIB"
}

mkdir -p "$CACHE_ROOT"
JAVA="$(find_java || true)"
if [ -z "$JAVA" ]; then
  apt_install "Java 17" openjdk-17-jre-headless
  JAVA="$(find_java)" || die "no Java >= 17 found"
fi
prepare

if [ "${1:-}" = "--prepare" ]; then
  log "ready: $LIB ($("$JAVA" -version 2>&1 | head -n 1))"
  exit 0
fi

args=()
if [ "${1:-}" = "--platform" ]; then
  dir="${2:?--platform needs a directory}"
  shift 2
  [ -f "$dir/upshift.yaml" ] || die "$dir/upshift.yaml not found (is $dir a checked-out release?)"
  [ -f "$dir/.env" ] || die "$dir/.env not found (cp $dir/.env.example $dir/.env)"
  helper="$HERE/lib/demo_platform.py"
  mapfile -t conn < <(python3 "$helper" db-conn "$dir") || die "cannot read the connection settings of $dir"
  [ "${#conn[@]}" -eq 6 ] || die "cannot read the connection settings of $dir"
  host="${conn[0]}" port="${conn[1]}" name="${conn[2]}"
  [[ "$port" =~ ^[0-9]+$ ]] || die "database port '$port' in $dir/.env is not a number"
  [[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || die "database name '$name' in $dir/.env has unexpected characters"
  url="jdbc:postgresql://$host:$port/$name"
  opts=""
  if [ -n "${UPSHIFT_SEED_ROWS:-}" ]; then
    [[ "$UPSHIFT_SEED_ROWS" =~ ^[0-9]+$ ]] || die "UPSHIFT_SEED_ROWS must be a number"
    opts="-c%20upshift.seed_rows%3D$UPSHIFT_SEED_ROWS"
  fi
  if [ -n "${UPSHIFT_SEED_POISON:-}" ]; then
    [[ "$UPSHIFT_SEED_POISON" =~ ^(on|off|true|false|yes|no|0|1)$ ]] || die "UPSHIFT_SEED_POISON must be on or off"
    opts="${opts:+$opts%20}-c%20upshift.seed_poison%3D$UPSHIFT_SEED_POISON"
  fi
  [ -n "$opts" ] && url="$url?options=$opts"
  export FLYWAY_URL="$url" FLYWAY_USER="${conn[3]}" FLYWAY_PASSWORD="${conn[4]}"
  args=("-locations=filesystem:$(cd "$dir" && pwd)/${conn[5]}" -connectRetries=10)
  [ $# -gt 0 ] || set -- migrate
fi

exec "$JAVA" -cp "$LIB/*" org.flywaydb.commandline.Main -skipCheckForUpdate "${args[@]}" "$@"
