#!/usr/bin/env bash
# A second local Kafka broker whose clients must authenticate: scripts/start-kafka.sh with
# KAFKA_SASL=true on ports of its own (PLAINTEXT 9192, controller 9193, SASL_PLAINTEXT 9194,
# SASL_SSL 9195) and a data dir of its own, so the plain broker the other tests share is untouched.
# Users: storecast-plain/plain-secret (PLAIN), storecast-scram256/scram256-secret (SCRAM-SHA-256),
# storecast-scram512/scram512-secret (SCRAM-SHA-512); they exist only in this test broker.
# Prints KAFKA_SSL_CA_FILE=..., KAFKA_SASL_SSL_BROKERS=... and, last, KAFKA_SASL_BROKERS=127.0.0.1:9194.
# Stop it with KAFKA_DATA_DIR=<the same dir> scripts/stop-kafka.sh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export KAFKA_SASL=true
export KAFKA_PORT=${KAFKA_SASL_BASE_PORT:-9192}
export KAFKA_DATA_DIR=${KAFKA_SASL_DATA_DIR:-${TMPDIR:-/tmp}/storecast-kafka-sasl}
exec bash "$HERE/start-kafka.sh"
