#!/usr/bin/env bash
# Entrypoint of slipway/postgres:15: the essentials of the official postgres image.
#
#   POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB   required
#   PGDATA                                           default /var/lib/postgresql/data
#
# With the default command (`postgres [args]`): when PGDATA holds no cluster yet, initdb runs
# as the postgres user with POSTGRES_USER as superuser and POSTGRES_PASSWORD as its password
# (SCRAM-SHA-256; handed over in a private file, never on a command line, never printed),
# POSTGRES_DB is created, and pg_hba.conf allows SCRAM password logins from any address
# (local socket connections inside the container are trusted, as in the official image); then
# the scripts in /docker-entrypoint-initdb.d run, as in the official image.
# Then postgres is exec'd as the postgres user, listening on all addresses (0.0.0.0) port
# 5432, so it is PID 1 and `docker stop` reaches it directly.
# Any other command (e.g. `bash`) is exec'd as given.
set -euo pipefail

log() { echo "[slipway-postgres] $*" >&2; }
die() { log "error: $*"; exit 1; }

export PGDATA=${PGDATA:-/var/lib/postgresql/data}

# `docker run slipway/postgres:15 -c max_connections=50` passes options to postgres.
if [ "${1:-}" != "" ] && [ "${1:0:1}" = "-" ]; then
  set -- postgres "$@"
fi
if [ "${1:-postgres}" != "postgres" ]; then
  exec "$@"
fi
if [ "$#" -gt 0 ]; then shift; fi

# Run a command as the postgres user (directly when the container already runs as it).
# setpriv execs without forking, so signals reach the command itself.
if [ "$(id -u)" -eq 0 ]; then
  as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)
else
  as_postgres=()
fi

missing=()
for v in POSTGRES_USER POSTGRES_PASSWORD POSTGRES_DB; do
  [ -n "${!v:-}" ] || missing+=("$v")
done
if [ "${#missing[@]}" -gt 0 ]; then
  die "missing environment variable(s): ${missing[*]}. Set POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB (e.g. docker run -e POSTGRES_USER=app -e POSTGRES_PASSWORD=... -e POSTGRES_DB=app)."
fi

# The data and socket folders belong to postgres (a fresh volume is created owned by root).
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres /var/run/postgresql
  chmod 2775 /var/run/postgresql
  if [ "$(stat -c %U "$PGDATA")" != postgres ]; then
    chown -R postgres:postgres "$PGDATA"
  fi
  chmod 700 "$PGDATA"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  log "initialising a new cluster in $PGDATA (superuser $POSTGRES_USER, database $POSTGRES_DB)"
  # The password goes to initdb through a file only postgres can read; printf is a shell
  # builtin, so the password never appears in any process's arguments.
  pwfile=$(mktemp /tmp/pgpass.XXXXXX)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pwfile"; fi
  chmod 600 "$pwfile"

  "${as_postgres[@]}" initdb \
    --username="$POSTGRES_USER" \
    --pwfile="$pwfile" \
    --auth-local=trust \
    --auth-host=scram-sha-256 \
    --encoding=UTF8 \
    --locale=C.UTF-8 \
    >/dev/null
  rm -f "$pwfile"
  trap - EXIT

  # Password (SCRAM) logins from any address; the container's network is the boundary.
  {
    echo
    echo "# Added by slipway/postgres: SCRAM password logins from any address."
    echo "host all all all scram-sha-256"
  } >>"$PGDATA/pg_hba.conf"

  # Create the database on a temporary server that listens on the local socket only.
  "${as_postgres[@]}" pg_ctl -D "$PGDATA" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" \
    -l /tmp/postgres-init.log start >/dev/null || {
    tail -n 20 /tmp/postgres-init.log >&2
    die "the temporary server for initialisation did not start (log above)"
  }
  if [ "$POSTGRES_DB" != postgres ]; then
    # psql's :"db" quotes the name as an identifier.
    "${as_postgres[@]}" psql -v ON_ERROR_STOP=1 -q -h /var/run/postgresql \
      --username="$POSTGRES_USER" --dbname=postgres --set=db="$POSTGRES_DB" \
      <<<'CREATE DATABASE :"db";'
  fi
  # Scripts in /docker-entrypoint-initdb.d run once, in name order, as in the official image:
  # *.sql (and .sql.gz, .sql.xz) through psql into POSTGRES_DB, stopping at the first error;
  # *.sh executed (or run by bash when not executable) as postgres, with PGHOST, PGUSER and
  # PGDATABASE set for psql. If one fails the new cluster is removed again, so the next start
  # (after the script is fixed) initialises afresh instead of serving a half-made database.
  run_sql() {
    "${as_postgres[@]}" psql -v ON_ERROR_STOP=1 -q -X -h /var/run/postgresql \
      --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"
  }
  init_failed() {
    "${as_postgres[@]}" pg_ctl -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    find "$PGDATA" -mindepth 1 -delete
    die "initialisation stopped at $1; the new cluster was removed, so the next start runs the scripts again"
  }
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        log "running $f"
        if [ -x "$f" ]; then
          PGHOST=/var/run/postgresql PGUSER="$POSTGRES_USER" PGDATABASE="$POSTGRES_DB" \
            "${as_postgres[@]}" "$f" || init_failed "$f (exit $?)"
        else
          PGHOST=/var/run/postgresql PGUSER="$POSTGRES_USER" PGDATABASE="$POSTGRES_DB" \
            "${as_postgres[@]}" bash "$f" || init_failed "$f (exit $?)"
        fi
        ;;
      *.sql) log "running $f"; run_sql <"$f" || init_failed "$f" ;;
      *.sql.gz) log "running $f"; { gzip -dc "$f" | run_sql; } || init_failed "$f" ;;
      *.sql.xz) log "running $f"; { xz -dc "$f" | run_sql; } || init_failed "$f" ;;
      *) log "ignoring $f (not .sh, .sql, .sql.gz or .sql.xz)" ;;
    esac
  done

  "${as_postgres[@]}" pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  rm -f /tmp/postgres-init.log
  log "cluster ready"
fi

# postgres becomes PID 1 (exec): SIGINT from `docker stop` triggers its fast shutdown.
exec "${as_postgres[@]}" postgres -D "$PGDATA" \
  -c listen_addresses='*' -p 5432 \
  -c unix_socket_directories=/var/run/postgresql \
  "$@"
