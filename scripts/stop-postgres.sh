#!/usr/bin/env bash
# Stops the PostgreSQL 15 cluster "main" that start-postgres.sh started. Safe to run when it is
# already stopped or absent.
set -euo pipefail

PG_VERSION=15
CLUSTER=main

status=$(pg_lsclusters --no-header 2>/dev/null | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }' || true)
case $status in
  online*)
    pg_ctlcluster "$PG_VERSION" "$CLUSTER" stop
    echo "stop-postgres: cluster $PG_VERSION/$CLUSTER stopped" >&2
    ;;
  "")
    echo "stop-postgres: no cluster $PG_VERSION/$CLUSTER" >&2
    ;;
  *)
    echo "stop-postgres: cluster $PG_VERSION/$CLUSTER already stopped" >&2
    ;;
esac
