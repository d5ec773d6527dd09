#!/usr/bin/env bash
# Builds the service images docker-compose.yml names (postgres, redis, kafka) on this machine, from
# Debian's packages on the local debian:bookworm-slim, since no registry is reachable here to pull
# the official ones; `npm run stack:up` and tests/container/stack.test.ts run them. The CI's entry:
# sets podman up (setup.sh) and makes the base image (base-images.sh) when missing, then builds.
# Each image is tagged with the name compose gives it (read from docker-compose.yml, so the two
# cannot differ), and its build fails when Debian's package is not the version that tag names.
# Cached: an image that exists is kept (FORCE=1 rebuilds). Prints each build's time and size.
# Exits 3 (one line on stderr) when podman cannot run on this machine.
#
# Kafka: the broker's jars are the ones scripts/start-kafka.sh fetches from Maven Central (the same
# cache, ~/.cache/storecast/kafka-<version>/libs), plus kafka-tools for the command-line tools.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "service-images: $*" >&2; }

bash scripts/container/setup.sh || exit $?
bash scripts/container/base-images.sh >/dev/null
base=docker.io/library/debian:bookworm-slim
force=${FORCE:-0}
here=scripts/container/services

# The image names, as docker-compose.yml writes them.
image_of() {
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    import { parse } from "yaml";
    const image = parse(readFileSync("docker-compose.yml", "utf8")).services?.[process.argv[1]]?.image;
    if (!image) { console.error(`docker-compose.yml names no image for ${process.argv[1]}`); process.exit(1); }
    console.log(image);' "$1"
}
# docker.io's names for a short name, as Docker resolves it (podman would ask which registry).
qualified() {
  local name=$1
  [[ $name == */* ]] || name=library/$name
  echo "docker.io/$name"
}
# The version in a tag: postgres:15.20-bookworm -> 15.20.
version_of() { local tag=${1##*:}; echo "${tag%%-*}"; }

summary=()
build() { # service context build-args...
  local service=$1 context=$2 image
  shift 2
  image=$(qualified "$(image_of "$service")")
  if [[ $force != 1 ]] && podman image exists "$image"; then
    log "$image is there"
    summary+=("$image: cached, $(($(podman image inspect --format '{{.Size}}' "$image") / 1000000)) MB")
    return
  fi
  log "building $image"
  local started=$SECONDS
  podman build --pull=never --format docker --build-arg "BASE_IMAGE=$base" "$@" -t "$image" "$context" >&2
  local seconds=$((SECONDS - started)) bytes
  bytes=$(podman image inspect --format '{{.Size}}' "$image")
  summary+=("$image: built in ${seconds} s, $((bytes / 1000000)) MB")
}

postgres=$(image_of postgres)
build postgres "$here/postgres" --build-arg "PG_VERSION=$(version_of "$postgres")"
redis=$(image_of redis)
build redis "$here/redis" --build-arg "REDIS_VERSION=$(version_of "$redis")"

kafka_image=$(qualified "$(image_of kafka)")
if [[ $force == 1 ]] || ! podman image exists "$kafka_image"; then
  kafka_version=$(version_of "$(image_of kafka)")
  cache=${STORECAST_CACHE:-$HOME/.cache/storecast}/kafka-$kafka_version
  # The broker's jars: fetched (once) exactly as scripts/start-kafka.sh fetches them.
  if [[ ! -f $cache/libs/.complete ]]; then
    log "fetching Kafka $kafka_version's jars from Maven Central into $cache/libs"
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/libs.tmp.XXXXXX")
    mvn -B -q -U -f scripts/kafka/pom.xml -Dkafka.version="$kafka_version" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >&2
    touch "$tmp/.complete"
    rm -rf "$cache/libs"
    mv "$tmp" "$cache/libs"
  fi
  # kafka-tools (kafka-broker-api-versions.sh, the compose healthcheck, and the other tools): its
  # own jar only; what it needs is among the broker's.
  tools=$cache/tools/kafka-tools-$kafka_version.jar
  if [[ ! -f $tools ]]; then
    log "fetching kafka-tools $kafka_version from Maven Central"
    mkdir -p "$cache/tools"
    mvn -B -q -f scripts/kafka/pom.xml -Dkafka.version="$kafka_version" dependency:copy \
      -Dartifact="org.apache.kafka:kafka-tools:$kafka_version" -DoutputDirectory="$cache/tools" >&2
  fi
  context=$(mktemp -d "${TMPDIR:-/tmp}/storecast-kafka-image.XXXXXX")
  trap 'rm -rf "$context"' EXIT
  cp -r "$here/kafka/." "$context/"
  mkdir "$context/libs"
  cp "$cache"/libs/*.jar "$tools" "$context/libs/"
  build kafka "$context"
else
  build kafka "$here/kafka"
fi

for line in "${summary[@]}"; do log "$line"; done
