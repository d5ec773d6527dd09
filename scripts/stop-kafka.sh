#!/usr/bin/env bash
# Stops the broker that scripts/start-kafka.sh started (found by its pid file in KAFKA_DATA_DIR)
# and waits for it to exit. Its data is kept, so the next start has the same topics and offsets.
# Fine when it is not running.
set -euo pipefail

DATA_DIR=${KAFKA_DATA_DIR:-${TMPDIR:-/tmp}/storecast-kafka}
PID_FILE=$DATA_DIR/kafka.pid
STOP_TIMEOUT_S=${KAFKA_STOP_TIMEOUT_S:-30}

log() { echo "stop-kafka: $*" >&2; }

pid=$(cat "$PID_FILE" 2>/dev/null || true)
# Check the process is still our broker: after a reboot the pid may belong to something else.
if [[ ! $pid =~ ^[0-9]+$ ]] || ! grep -qa kafka.Kafka "/proc/$pid/cmdline" 2>/dev/null; then
  log "no broker running (pid file $PID_FILE)"
  rm -f "$PID_FILE"
  exit 0
fi

# SIGTERM makes Kafka shut down cleanly (flushes logs, writes a clean-shutdown marker), which
# makes the next start quick; SIGKILL only if it hangs.
log "stopping Kafka (pid $pid)"
kill -TERM "$pid"
deadline=$((SECONDS + STOP_TIMEOUT_S))
while kill -0 "$pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    log "still running after ${STOP_TIMEOUT_S}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
rm -f "$PID_FILE"
log "stopped"
