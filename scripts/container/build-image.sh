#!/usr/bin/env bash
# Builds storecast's image with podman (`npm run image:build`): sets podman up (setup.sh), makes the
# local base images when missing (base-images.sh), then builds the unchanged Dockerfile as
# ${IMAGE:-storecast:latest}, the name docker-compose.yml and the stack scripts use. Prints the build
# time and the image's size; the last line is IMAGE=<name>.
# Exits 3 (one line on stderr) when podman cannot run on this machine.
#
# HTTPS from this machine goes through a proxy whose CA is only in the host's bundle: the build
# gets the bundle and an npmrc naming it as read-only mounts (podman build -v), so npm inside the
# build trusts the proxy and nothing of it is baked into a layer.
#
# Env: IMAGE (storecast:latest), NODE_IMAGE (from base-images.sh), HOST_CA (the host's CA bundle,
#      when present), BUILD_ARGS (more arguments for podman build, e.g. --no-cache).
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "image-build: $*" >&2; }

bash scripts/container/setup.sh || exit $?
node_line=$(bash scripts/container/base-images.sh | tail -n 1)
NODE_IMAGE=${NODE_IMAGE:-${node_line#NODE_IMAGE=}}
IMAGE=${IMAGE:-storecast:latest}

mounts=()
ca=${HOST_CA:-${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}}
if [[ -f $ca ]]; then
  npmrc=$(mktemp "${TMPDIR:-/tmp}/storecast-build-npmrc.XXXXXX")
  trap 'rm -f "$npmrc"' EXIT
  # npm's global config under the image's /usr/local prefix; the project's files are untouched.
  printf 'cafile=/run/storecast-build/ca.pem\n' >"$npmrc"
  chmod 0644 "$npmrc"
  mounts+=(-v "$ca:/run/storecast-build/ca.pem:ro" -v "$npmrc:/usr/local/etc/npmrc:ro")
fi

log "building $IMAGE from $NODE_IMAGE"
started=$SECONDS
# --format docker keeps the HEALTHCHECK (OCI image configs have no such field).
# shellcheck disable=SC2086
podman build --pull=never --format docker --build-arg "NODE_IMAGE=$NODE_IMAGE" \
  "${mounts[@]}" ${BUILD_ARGS:-} -t "$IMAGE" . >&2
seconds=$((SECONDS - started))
bytes=$(podman image inspect --format '{{.Size}}' "$IMAGE")
base=$(podman image inspect --format '{{.Size}}' "$NODE_IMAGE")
log "built $IMAGE in ${seconds} s: $((bytes / 1000000)) MB ($(((bytes - base) / 1000000)) MB on top of the $((base / 1000000)) MB base)"
echo "IMAGE=$IMAGE"
