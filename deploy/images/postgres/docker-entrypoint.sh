#!/bin/bash
# Entrypoint of upshift-demo/postgres:15, modelled on the official postgres image.
#   POSTGRES_PASSWORD (required on first start), POSTGRES_USER (default postgres),
#   POSTGRES_DB (default $POSTGRES_USER), PGDATA (default /var/lib/postgresql/data).
# First start (empty $PGDATA): initdb --auth-local=trust --auth-host=scram-sha-256, listen on '*',
# create POSTGRES_USER as a superuser with POSTGRES_PASSWORD and POSTGRES_DB owned by it, run
# /docker-entrypoint-initdb.d/*.sql|*.sh. The cluster superuser is always "postgres" as well, so
# `su postgres -c "pg_dump -Fc app"` works whatever POSTGRES_USER is.
set -euo pipefail

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGDATA
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

if [ "${1:-postgres}" != "postgres" ]; then
  exec "$@"   # e.g. `docker run --rm IMAGE psql --version`
fi
[ $# -gt 0 ] && shift

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  if [ "$(stat -c %U "$PGDATA")" != postgres ]; then chown -R postgres:postgres "$PGDATA"; fi
  chown postgres:postgres /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 2775 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || die "database is uninitialized and POSTGRES_PASSWORD is not set"
  log "initialising a new cluster in $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" --username=postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  printf "\n# upshift-demo\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf '\n# upshift-demo: password logins from anywhere\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

  pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" \
    -l "$PGDATA/init.log" start >/dev/null
  psql=(psql -v ON_ERROR_STOP=1 -X -q -h /var/run/postgresql -U postgres)
  if [ "$POSTGRES_USER" != postgres ]; then
    "${psql[@]}" -d postgres -v u="$POSTGRES_USER" -v p="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE :"u" WITH LOGIN SUPERUSER PASSWORD :'p';
SQL
  else
    "${psql[@]}" -d postgres -v p="$POSTGRES_PASSWORD" <<'SQL'
ALTER ROLE postgres WITH PASSWORD :'p';
SQL
  fi
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" -d postgres -v d="$POSTGRES_DB" -v u="$POSTGRES_USER" <<'SQL'
CREATE DATABASE :"d" OWNER :"u";
SQL
  fi
  shopt -s nullglob
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) log "running $f"; "${psql[@]}" -d "$POSTGRES_DB" -f "$f" ;;
      *.sh)  log "running $f"; bash "$f" ;;
      *)     log "ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
  rm -f "$PGDATA/init.log"
  log "initialisation complete"
fi

log "starting PostgreSQL $(postgres --version | awk '{print $3}')"
exec postgres -D "$PGDATA" "$@"
