#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker in KRaft mode (one process that is both broker and
# controller) on 127.0.0.1:$KAFKA_PORT, for the integration tests and local development.
# There is no Kafka distribution tarball to download here, so the broker's jars come from Maven
# Central (scripts/kafka/pom.xml) into ${STORECAST_CACHE:-~/.cache/storecast}/kafka-<version>/libs;
# later runs use that cache and need no network. Storage is formatted once (random cluster id kept
# in the data dir), so topics and offsets survive a stop and start. Safe to run any number of
# times: a broker already listening on the port is left alone. Progress goes to stderr; the last
# line printed is KAFKA_BROKERS=127.0.0.1:<port>. Stop it with scripts/stop-kafka.sh.
#
# Env: KAFKA_VERSION (4.4.0), KAFKA_PORT (9092; the controller listens on KAFKA_PORT+1),
#      KAFKA_DATA_DIR (${TMPDIR:-/tmp}/storecast-kafka), KAFKA_HEAP_OPTS (-Xms256m -Xmx512m),
#      KAFKA_READY_TIMEOUT_S (90), STORECAST_CACHE,
#      KAFKA_SASL (false): also listen with SASL on KAFKA_PORT+2 (SASL_PLAINTEXT) and KAFKA_PORT+3
#      (SASL_SSL, a certificate of a CA made in $KAFKA_DATA_DIR/tls), with the users below. Only when
#      the data dir is formatted (SCRAM users are stored then): use a data dir of its own, as
#      scripts/start-kafka-sasl.sh does.
set -euo pipefail

KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
HOST=127.0.0.1
PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=$((PORT + 1))
DATA_DIR=${KAFKA_DATA_DIR:-${TMPDIR:-/tmp}/storecast-kafka}
CACHE_DIR=${STORECAST_CACHE:-$HOME/.cache/storecast}/kafka-$KAFKA_VERSION
LIBS=$CACHE_DIR/libs
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
READY_TIMEOUT_S=${KAFKA_READY_TIMEOUT_S:-90}
HERE=$(cd "$(dirname "$0")" && pwd)
SASL=${KAFKA_SASL:-false}
SASL_PORT=$((PORT + 2))
SASL_SSL_PORT=$((PORT + 3))
TLS_DIR=$DATA_DIR/tls
# The test users of the SASL listeners (tests/integration/kafka-auth.test.ts): one per mechanism.
SASL_PLAIN_USER=storecast-plain SASL_PLAIN_PASSWORD=plain-secret
SASL_SCRAM256_USER=storecast-scram256 SASL_SCRAM256_PASSWORD=scram256-secret
SASL_SCRAM512_USER=storecast-scram512 SASL_SCRAM512_PASSWORD=scram512-secret
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
PID_FILE=$DATA_DIR/kafka.pid
LOG_FILE=$DATA_DIR/kafka.log

log() { echo "start-kafka: $*" >&2; }
listening() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }
running_pid() { # the pid in the pid file, if that process is still our broker
  local pid
  pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && grep -qa kafka.Kafka "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}
done_() {
  if [[ $SASL == true ]]; then
    echo "KAFKA_SSL_CA_FILE=$TLS_DIR/ca.pem"
    echo "KAFKA_SASL_SSL_BROKERS=$HOST:$SASL_SSL_PORT"
    echo "KAFKA_SASL_BROKERS=$HOST:$SASL_PORT"
  else
    echo "KAFKA_BROKERS=$HOST:$PORT"
  fi
  exit 0
}

# Our own broker (pid file) goes on to the readiness check below; anything else on the port is
# taken to be a broker started some other way.
if ! running_pid >/dev/null && listening; then
  log "a broker is already listening on $HOST:$PORT; leaving it as it is"
  done_
fi

# Kafka 4.x brokers are built for Java 17 (class file version 61).
java_major=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $2 }')
if [[ -z $java_major ]] || ((${java_major%%.*} < 17)); then
  log "Kafka $KAFKA_VERSION needs Java 17 or newer; '$JAVA' is ${java_major:-missing}"
  exit 1
fi

# Fetch the jars once. Copied to a temporary folder and renamed, so an interrupted run leaves no
# half-filled cache behind.
if [[ ! -f $LIBS/.complete ]]; then
  log "fetching Kafka $KAFKA_VERSION and its dependencies from Maven Central into $LIBS"
  mkdir -p "$CACHE_DIR"
  tmp=$(mktemp -d "$CACHE_DIR/libs.tmp.XXXXXX")
  trap 'rm -rf "$tmp" "$tmp.log"; rmdir "$CACHE_DIR" 2>/dev/null || true' EXIT
  # Maven's output is shown only when it fails (-q still prints colour codes here). -U: retry
  # artifacts that an earlier, failed run left marked as missing in ~/.m2.
  if ! mvn -B -q -U -f "$HERE/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    log "Maven could not fetch Kafka $KAFKA_VERSION:"
    cat "$tmp.log" >&2
    exit 1
  fi
  touch "$tmp/.complete"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  rm -f "$tmp.log"
  trap - EXIT
fi
CLASSPATH_="$LIBS/*"

mkdir -p "$DATA_DIR"

# A certificate authority and the broker's certificate (for 127.0.0.1 and localhost), made once.
# Kafka reads the key and chain as PEM; clients trust ca.pem (KAFKA_SSL_CA_FILE).
if [[ $SASL == true && ! -f $TLS_DIR/broker.pem ]]; then
  log "making a test certificate authority and the broker's certificate in $TLS_DIR"
  mkdir -p "$TLS_DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=storecast test CA" \
    -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$TLS_DIR/broker.key" -out "$TLS_DIR/broker.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$TLS_DIR/san.ext"
  openssl x509 -req -in "$TLS_DIR/broker.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" \
    -CAcreateserial -days 3650 -extfile "$TLS_DIR/san.ext" -out "$TLS_DIR/broker.crt" 2>/dev/null
  # Kafka's PEM key store: the unencrypted PKCS#8 key, then the certificate chain.
  openssl pkcs8 -topk8 -nocrypt -in "$TLS_DIR/broker.key" >"$TLS_DIR/broker.pem.tmp"
  cat "$TLS_DIR/broker.crt" "$TLS_DIR/ca.pem" >>"$TLS_DIR/broker.pem.tmp"
  mv "$TLS_DIR/broker.pem.tmp" "$TLS_DIR/broker.pem"
fi

advertised="PLAINTEXT://$HOST:$PORT"
protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
if [[ $SASL == true ]]; then
  advertised+=",SASL_PLAINTEXT://$HOST:$SASL_PORT,SASL_SSL://$HOST:$SASL_SSL_PORT"
  protocols+=",SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"
fi

# Written on every start (it is derived from the settings above); the data stays in $DATA_DIR/logs.
cat >"$DATA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=$advertised,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
listener.security.protocol.map=$protocols
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA_DIR/logs
num.partitions=3
# One node: internal topics can have only one replica.
offsets.topic.replication.factor=1
# Few consumer groups here: one offsets partition is created and reloaded at once (default 50).
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Consumer groups start at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
# The app creates its topics; a typo must fail rather than create a new topic.
auto.create.topics.enable=false
EOF
if [[ $SASL == true ]]; then
  # PLAIN users live in the listener's JAAS entry; SCRAM users in the cluster metadata (format below).
  plain_jaas="org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_PLAIN_USER=\"$SASL_PLAIN_PASSWORD\";"
  scram_jaas="org.apache.kafka.common.security.scram.ScramLoginModule required;"
  {
    echo "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
    for listener in sasl_plaintext sasl_ssl; do
      echo "listener.name.$listener.plain.sasl.jaas.config=$plain_jaas"
      echo "listener.name.$listener.scram-sha-256.sasl.jaas.config=$scram_jaas"
      echo "listener.name.$listener.scram-sha-512.sasl.jaas.config=$scram_jaas"
    done
    echo "listener.name.sasl_ssl.ssl.keystore.type=PEM"
    echo "listener.name.sasl_ssl.ssl.keystore.location=$TLS_DIR/broker.pem"
  } >>"$DATA_DIR/server.properties"
fi

# shellcheck disable=SC2206 # HEAP_OPTS holds several options: split on purpose
java_opts=($HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties")

# Format the storage once; meta.properties holds the cluster id from then on.
if [[ ! -f $DATA_DIR/logs/meta.properties ]]; then
  # Logging off: random-uuid's stdout must be the id alone.
  cluster_id=$("$JAVA" -cp "$CLASSPATH_" "${java_opts[@]}" -Dstorecast.kafka.log.level=OFF \
    kafka.tools.StorageTool random-uuid)
  log "formatting $DATA_DIR/logs (cluster id $cluster_id)"
  # Its errors go to stderr; what it reports on success is kept in format.log.
  scram=()
  if [[ $SASL == true ]]; then
    scram=(--add-scram "SCRAM-SHA-256=[name=$SASL_SCRAM256_USER,password=$SASL_SCRAM256_PASSWORD]"
      --add-scram "SCRAM-SHA-512=[name=$SASL_SCRAM512_USER,password=$SASL_SCRAM512_PASSWORD]")
  fi
  "$JAVA" -cp "$CLASSPATH_" "${java_opts[@]}" -Dstorecast.kafka.log.level=WARN \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$DATA_DIR/server.properties" "${scram[@]}" \
    >"$DATA_DIR/format.log"
fi

if pid=$(running_pid); then
  log "Kafka is already running (pid $pid)"
else
  # Keep the previous run's log beside the new one; the readiness check reads the new one only.
  [[ -f $LOG_FILE ]] && mv "$LOG_FILE" "$LOG_FILE.prev"
  log "starting Kafka $KAFKA_VERSION on $HOST:$PORT (data in $DATA_DIR, log in $LOG_FILE)"
  nohup "$JAVA" -cp "$CLASSPATH_" "${java_opts[@]}" kafka.Kafka "$DATA_DIR/server.properties" \
    >"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
fi

# Ready when the port accepts connections, the server logged the end of its start-up (the port
# opens a little before the broker has caught up with its metadata and unfenced itself), and, on a
# restart, the group coordinator has reloaded the committed offsets (a little after "started";
# until then group requests fail with NOT_COORDINATOR, which kafkajs's admin does not retry).
offsets_partitions=$(compgen -G "$DATA_DIR/logs/__consumer_offsets-*" | wc -l || true)
ready() {
  listening && grep -q "Kafka Server started" "$LOG_FILE" 2>/dev/null &&
    (($(grep -c "Finished loading of metadata from __consumer_offsets" "$LOG_FILE" || true) >= offsets_partitions))
}
deadline=$((SECONDS + READY_TIMEOUT_S))
until ready; do
  if ! kill -0 "$pid" 2>/dev/null; then
    log "Kafka exited during start-up; last lines of $LOG_FILE:"
    tail -n 40 "$LOG_FILE" >&2 || true
    rm -f "$PID_FILE"
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    log "Kafka not ready on $HOST:$PORT after ${READY_TIMEOUT_S}s (pid $pid still running); last lines of $LOG_FILE:"
    tail -n 40 "$LOG_FILE" >&2 || true
    exit 1
  fi
  sleep 0.3
done
log "Kafka is ready (pid $pid)"
done_
