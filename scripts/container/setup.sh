#!/usr/bin/env bash
# Makes this machine able to build and run storecast's images with Debian's podman (there is no
# Docker engine here): installs podman, mmdebstrap and what they need, and writes the settings this
# kind of machine requires in /etc/containers/containers.conf. Needs root; safe to run any number of
# times (installs only what is missing, rewrites the settings only when they differ).
# Exits 3 with one line on stderr when podman cannot run here (not root, no apt): callers skip then.
#
# Why each setting (found on this machine, see docs/decisions/0043):
#   runtime = "runc"      Debian's crun 1.8 rejects the cgroup layout here.
#   cgroup_manager and events_logger off systemd: there is no systemd (PID 1 is not init).
#   default_ulimits       without them containers inherit limits podman cannot raise to.
set -euo pipefail

log() { echo "container-setup: $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "podman needs root on this machine (rootless needs subuids and user namespaces); skipping"
  exit 3
fi

need=()
for tool in podman mmdebstrap runc iptables; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || need+=("$tool")
done
if ((${#need[@]} > 0)); then
  if ! command -v apt-get >/dev/null; then
    log "missing ${need[*]} and no apt-get to install them; skipping"
    exit 3
  fi
  log "installing podman and its tools (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends podman mmdebstrap runc iptables netavark aardvark-dns \
    uidmap containernetworking-plugins ca-certificates >&2
fi

hard_nofile=$(ulimit -Hn)
[[ $hard_nofile == unlimited ]] && hard_nofile=1048576
conf=/etc/containers/containers.conf
want=$(
  cat <<EOF
# Written by storecast's scripts/container/setup.sh.
[containers]
default_ulimits = ["nofile=$hard_nofile:$hard_nofile", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
)
if [[ "$(cat "$conf" 2>/dev/null)" != "$want" ]]; then
  mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$want" >"$conf"
  log "wrote $conf"
fi

if ! podman info >/dev/null 2>&1; then
  log "podman is installed but cannot run here: $(podman info 2>&1 | tail -n 1)"
  exit 3
fi
log "$(podman --version), runtime runc, ready"
