#!/usr/bin/env bash
# Start a local PostgreSQL for the tests marked `postgres`, idempotently, and print the URL.
#
#   eval "$(.ci/postgres.sh)"      # sets SPARRING_TEST_DATABASE_URL in the calling shell
#
# Installs the Debian `postgresql` package when missing, creates and starts the newest cluster,
# creates (or re-passwords) the role and the database. Safe to run again at any time: a running
# cluster, an existing role or database are left as they are. Progress goes to stderr; the only
# line on stdout is the `export ...` line. Needs root (or the postgres user). Override with
# SPARRING_PG_USER, SPARRING_PG_PASSWORD, SPARRING_PG_DB, SPARRING_PG_CLUSTER (default: main).
set -euo pipefail

PG_USER="${SPARRING_PG_USER:-sparring}"
PG_PASSWORD="${SPARRING_PG_PASSWORD:-sparring}"
PG_DB="${SPARRING_PG_DB:-sparring_test}"
CLUSTER="${SPARRING_PG_CLUSTER:-main}"

log() { echo "postgres.sh: $*" >&2; }

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"
    elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
    else sudo -u postgres -- "$@"
    fi
}

if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || ! command -v pg_ctlcluster >/dev/null; then
    log "installing postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {found = 1} END {exit !found}'; then
    log "creating cluster $VERSION/$CLUSTER"
    pg_createcluster "$VERSION" "$CLUSTER" >&2
fi

STATUS="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}')"
if [ "$STATUS" != online ]; then
    log "starting cluster $VERSION/$CLUSTER"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')"

for _ in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
    sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { log "server on port $PORT did not become ready"; exit 1; }

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"; }

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" != 1 ]; then
    log "creating role $PG_USER"
    psql_admin -c "CREATE ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'"
else
    psql_admin -c "ALTER ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'"
fi

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
    log "creating database $PG_DB"
    psql_admin -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\""
fi

URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DB"
PGPASSWORD="$PG_PASSWORD" psql -X -q -h 127.0.0.1 -p "$PORT" -U "$PG_USER" -d "$PG_DB" -tAc "SELECT 1" >/dev/null \
    || { log "cannot log in as $PG_USER"; exit 1; }
log "ready: PostgreSQL $VERSION on 127.0.0.1:$PORT, database $PG_DB"
echo "export SPARRING_TEST_DATABASE_URL=$URL"
