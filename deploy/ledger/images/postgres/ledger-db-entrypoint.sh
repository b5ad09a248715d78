#!/bin/bash
# Entrypoint of upshift-ledger/postgres:15. Its init conventions are its own (not the official image's):
#   LEDGER_DB_PASSWORD  password of the superuser "postgres" (required on first start)
#   LEDGER_DATABASES    comma-separated databases to create on first start (default: ledger)
#   PGDATA              default /srv/ledger/pgdata
# There is no POSTGRES_USER / POSTGRES_DB: the only role is "postgres". First start (empty $PGDATA):
# initdb --auth-local=trust --auth-host=scram-sha-256, listen on '*', create the databases owned by
# postgres. The temporary server of the initialisation logs to a file, so the line
# "database system is ready to accept connections" on stdout always means the real server is up.
set -euo pipefail

PGDATA="${PGDATA:-/srv/ledger/pgdata}"
export PGDATA
LEDGER_DATABASES="${LEDGER_DATABASES:-ledger}"

log() { printf '%s [ledger-db] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

if [ "${1:-postgres}" != "postgres" ]; then
  exec "$@"   # e.g. `docker run --rm IMAGE pg_dump --version`
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
  [ -n "${LEDGER_DB_PASSWORD:-}" ] || die "database is uninitialized and LEDGER_DB_PASSWORD is not set"
  dbs=()
  IFS=',' read -r -a raw <<<"$LEDGER_DATABASES"
  for d in "${raw[@]}"; do
    d="${d// /}"
    [ -n "$d" ] || continue
    [[ "$d" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "LEDGER_DATABASES: '$d' is not a plain lower-case database name"
    dbs+=("$d")
  done
  [ ${#dbs[@]} -gt 0 ] || die "LEDGER_DATABASES names no database"
  log "initialising a new cluster in $PGDATA (superuser postgres, databases ${dbs[*]})"
  pwfile="$(mktemp)"
  printf '%s\n' "$LEDGER_DB_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" --username=postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  printf "\n# upshift-ledger\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf '\n# upshift-ledger: password logins from anywhere\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" \
    -l "$PGDATA/init.log" start >/dev/null
  for d in "${dbs[@]}"; do
    psql -v ON_ERROR_STOP=1 -X -q -h /var/run/postgresql -U postgres -d postgres -v d="$d" <<'SQL'
CREATE DATABASE :"d" OWNER postgres;
SQL
    log "created database $d"
  done
  pg_ctl -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
  rm -f "$PGDATA/init.log"
  log "initialisation complete"
fi

log "starting PostgreSQL $(postgres --version | awk '{print $3}')"
exec postgres -D "$PGDATA" "$@"
