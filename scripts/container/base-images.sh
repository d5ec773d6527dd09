#!/usr/bin/env bash
# Builds, on this machine, the base images storecast's images start FROM, since no container registry
# is reachable here: Debian bookworm (minbase, by mmdebstrap) imported as debian:bookworm-slim, and the
# same with this machine's Node 20 and npm laid out as the official image lays them out (/usr/local,
# a `node` user with uid and gid 1000) imported as node:<version>-bookworm-slim, the name the
# Dockerfile's NODE_IMAGE names. Where a registry is reachable these are the official images; here
# they stand in for them. Cached: an image that exists is kept (FORCE=1 rebuilds).
# Needs scripts/container/setup.sh first. Progress on stderr; the last line is NODE_IMAGE=<name>.
set -euo pipefail

log() { echo "base-images: $*" >&2; }

node_version=$(node --version)
node_version=${node_version#v}
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
debian=docker.io/library/debian:bookworm-slim
node_image=docker.io/library/node:$node_version-bookworm-slim
force=${FORCE:-0}

exists() { [[ $force != 1 ]] && podman image exists "$1"; }

# The rootfs both images share, made once per run when one of them is missing.
rootfs=""
make_rootfs() {
  [[ -n $rootfs ]] && return
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/storecast-rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  log "mmdebstrap --variant=minbase bookworm (about 80 s)"
  local started=$SECONDS
  # As Docker's debian:slim: no documentation or locales beyond what dpkg needs, empty apt lists.
  # merged-usr hook: /usr merged by symlinks as debootstrap does, so usrmerge (and the perl it pulls
  # in, ~50 MB) is not installed.
  mmdebstrap --variant=minbase --quiet --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log' \
    bookworm "$rootfs/debian.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >&2
  log "rootfs made in $((SECONDS - started)) s"
}

if exists "$debian"; then
  log "$debian is there"
else
  make_rootfs
  podman import --change 'CMD ["bash"]' "$rootfs/debian.tar" "$debian" >/dev/null
  log "imported $debian"
fi

if exists "$node_image"; then
  log "$node_image is there"
else
  make_rootfs
  dir=$rootfs/node
  mkdir -p "$dir"
  tar -C "$dir" -xf "$rootfs/debian.tar"
  install -D -m 0755 "$node_bin" "$dir/usr/local/bin/node"
  mkdir -p "$dir/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$dir/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  chroot "$dir" groupadd --gid 1000 node
  chroot "$dir" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  tar -C "$dir" -cf "$rootfs/node.tar" .
  podman import --change "ENV NODE_VERSION=$node_version" --change 'CMD ["node"]' \
    "$rootfs/node.tar" "$node_image" >/dev/null
  log "imported $node_image (Node $node_version, npm $(node "$npm_dir/bin/npm-cli.js" --version))"
fi
echo "NODE_IMAGE=$node_image"
