#!/usr/bin/env bash
# Kafka's kafka-run-class.sh, cut down: the jars in /opt/kafka/libs, the same option variables and
# defaults (tools log to stderr at WARN unless KAFKA_LOG4J_OPTS says otherwise).
set -euo pipefail
base=$(dirname "$(dirname "$(readlink -f "$0")")")
heap=${KAFKA_HEAP_OPTS:--Xmx256M}
perf=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}
log4j=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=file:/etc/kafka/docker/tools-log4j2.yaml}
# shellcheck disable=SC2086 # each variable holds several JVM options
exec java $heap $perf $log4j ${KAFKA_JMX_OPTS:-} ${KAFKA_OPTS:-} -cp "$base/libs/*" "$@"
