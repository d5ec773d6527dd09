#!/usr/bin/env bash
# Starts Debian's redis-server on 127.0.0.1:$REDIS_PORT for the job queue (BullMQ), for the
# integration tests and local development: daemonized, with its pid file, log and data under
# ${REDIS_DATA_DIR:-${TMPDIR:-/tmp}/storecast-redis}, Redis's default persistence, and
# `maxmemory-policy noeviction` (BullMQ requires it: an evicted key is a lost job). Installs
# redis-server with apt-get when it is missing (needs root). Safe to run any number of times: a
# server already answering on the port is left alone. Progress goes to stderr; the last line
# printed is REDIS_URL=redis://127.0.0.1:<port>. Stop it with scripts/stop-redis.sh.
#
# Env: REDIS_PORT (6379), REDIS_DATA_DIR, REDIS_READY_TIMEOUT_S (30).
set -euo pipefail

HOST=127.0.0.1
PORT=${REDIS_PORT:-6379}
DATA_DIR=${REDIS_DATA_DIR:-${TMPDIR:-/tmp}/storecast-redis}
READY_TIMEOUT_S=${REDIS_READY_TIMEOUT_S:-30}
PID_FILE=$DATA_DIR/redis.pid
LOG_FILE=$DATA_DIR/redis.log

log() { echo "start-redis: $*" >&2; }
done_() { echo "REDIS_URL=redis://$HOST:$PORT"; exit 0; }
answers() { redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null | grep -q PONG; }

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    log "redis-server is not installed, and installing it needs root (apt-get install redis-server)"
    exit 1
  fi
  log "redis-server is not installed: installing it"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y redis-server >&2
fi

if answers; then
  log "a Redis server already answers on $HOST:$PORT; leaving it as it is"
  policy=$(redis-cli -h "$HOST" -p "$PORT" config get maxmemory-policy 2>/dev/null | tail -n 1 || true)
  if [[ -n $policy && $policy != noeviction ]]; then
    log "warning: its maxmemory-policy is '$policy'; BullMQ needs 'noeviction'"
  fi
  done_
fi

mkdir -p "$DATA_DIR"
log "starting redis-server on $HOST:$PORT (data in $DATA_DIR)"
redis-server \
  --bind "$HOST" \
  --port "$PORT" \
  --daemonize yes \
  --pidfile "$PID_FILE" \
  --logfile "$LOG_FILE" \
  --dir "$DATA_DIR" \
  --maxmemory-policy noeviction \
  --protected-mode yes >&2

deadline=$((SECONDS + READY_TIMEOUT_S))
until answers; do
  if ((SECONDS >= deadline)); then
    log "Redis on $HOST:$PORT not answering after ${READY_TIMEOUT_S}s; see $LOG_FILE"
    exit 1
  fi
  sleep 0.2
done
log "Redis is up on $HOST:$PORT (pid $(cat "$PID_FILE" 2>/dev/null || echo '?'))"
done_
