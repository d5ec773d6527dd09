#!/usr/bin/env bash
# Stops the redis-server that start-redis.sh started (by its pid file). Safe to run when it is
# already stopped or was never started.
#
# Env: REDIS_PORT (6379), REDIS_DATA_DIR (as for start-redis.sh), REDIS_STOP_TIMEOUT_S (30).
set -euo pipefail

PORT=${REDIS_PORT:-6379}
DATA_DIR=${REDIS_DATA_DIR:-${TMPDIR:-/tmp}/storecast-redis}
PID_FILE=$DATA_DIR/redis.pid
STOP_TIMEOUT_S=${REDIS_STOP_TIMEOUT_S:-30}

log() { echo "stop-redis: $*" >&2; }

pid=$(cat "$PID_FILE" 2>/dev/null || true)
if [[ ! $pid =~ ^[0-9]+$ ]] || ! grep -qa redis-server "/proc/$pid/cmdline" 2>/dev/null; then
  log "no redis-server started by start-redis.sh is running (pid file $PID_FILE)"
  rm -f "$PID_FILE"
  exit 0
fi

kill -TERM "$pid"
deadline=$((SECONDS + STOP_TIMEOUT_S))
while kill -0 "$pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    log "redis-server (pid $pid) still running after ${STOP_TIMEOUT_S}s"
    exit 1
  fi
  sleep 0.2
done
rm -f "$PID_FILE"
log "redis-server on port $PORT (pid $pid) stopped"
