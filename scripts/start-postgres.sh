#!/usr/bin/env bash
# Starts the machine's PostgreSQL 15 cluster "main" on 127.0.0.1:5432 (installing and creating it
# when missing), then makes sure the role `storecast` (password `storecast`, LOGIN CREATEDB, member of
# pg_signal_backend) and the databases `storecast` and `storecast_test` it owns exist. Safe to run
# any number of times.
# Must run as root (as on the developers' machines and CI). The last line printed is the
# DATABASE_URL the integration tests use.
set -euo pipefail

PG_VERSION=15
CLUSTER=main
HOST=127.0.0.1
PORT=5432
ROLE=storecast
PASSWORD=storecast
DATABASES=(storecast storecast_test)
READY_TIMEOUT_S=${PG_READY_TIMEOUT_S:-60}

log() { echo "start-postgres: $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root (it runs pg_ctlcluster and psql as the postgres user)"
  exit 1
fi

if [[ ! -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]]; then
  log "PostgreSQL $PG_VERSION is not installed: installing it"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "postgresql-$PG_VERSION"
fi

if ! pg_lsclusters --no-header 2>/dev/null | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  log "creating cluster $PG_VERSION/$CLUSTER"
  pg_createcluster "$PG_VERSION" "$CLUSTER" --port "$PORT"
fi

# Listen on the loopback address and the port the tests expect; a restart applies a change.
# listen_addresses goes in conf.d (read after postgresql.conf): pg_conftool does not quote it.
needs_restart=0
port_now=$(pg_conftool -s "$PG_VERSION" "$CLUSTER" show port 2>/dev/null || true)
if [[ $port_now != "$PORT" ]]; then
  pg_conftool "$PG_VERSION" "$CLUSTER" set port "$PORT"
  needs_restart=1
fi
conf_d=/etc/postgresql/$PG_VERSION/$CLUSTER/conf.d
wanted="listen_addresses = '$HOST'"
if [[ ! -f $conf_d/storecast.conf ]] || [[ $(cat "$conf_d/storecast.conf") != "$wanted" ]]; then
  mkdir -p "$conf_d"
  echo "$wanted" >"$conf_d/storecast.conf"
  needs_restart=1
fi

status=$(pg_lsclusters --no-header | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }')
if [[ $status == online* ]]; then
  if [[ $needs_restart -eq 1 ]]; then
    log "restarting cluster $PG_VERSION/$CLUSTER to apply its new settings"
    pg_ctlcluster "$PG_VERSION" "$CLUSTER" restart
  else
    log "cluster $PG_VERSION/$CLUSTER already running"
  fi
else
  log "starting cluster $PG_VERSION/$CLUSTER"
  pg_ctlcluster "$PG_VERSION" "$CLUSTER" start
fi

deadline=$((SECONDS + READY_TIMEOUT_S))
until pg_isready -q -h "$HOST" -p "$PORT"; do
  if ((SECONDS >= deadline)); then
    log "PostgreSQL on $HOST:$PORT not ready after ${READY_TIMEOUT_S}s; see /var/log/postgresql/postgresql-$PG_VERSION-$CLUSTER.log"
    exit 1
  fi
  sleep 0.5
done

# As the superuser over the local socket (peer authentication).
psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" "$@"; }

psql_admin -d postgres <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE "$ROLE" LOGIN CREATEDB PASSWORD '$PASSWORD';
  ELSE
    ALTER ROLE "$ROLE" LOGIN CREATEDB PASSWORD '$PASSWORD';
  END IF;
END
\$\$;
-- Tests drop scratch databases WITH (FORCE); an autovacuum worker busy in one can only be
-- terminated by a member of pg_signal_backend (it belongs to no role).
GRANT pg_signal_backend TO "$ROLE";
SQL

for db in "${DATABASES[@]}"; do
  exists=$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")
  if [[ $exists != 1 ]]; then
    log "creating database $db"
    psql_admin -d postgres -c "CREATE DATABASE \"$db\" OWNER \"$ROLE\""
  else
    psql_admin -d postgres -c "ALTER DATABASE \"$db\" OWNER TO \"$ROLE\""
  fi
done

echo "postgresql://$ROLE:$PASSWORD@$HOST:$PORT/storecast_test"
