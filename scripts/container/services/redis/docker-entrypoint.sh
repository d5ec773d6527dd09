#!/usr/bin/env bash
# The official redis image's start-up: `-`-arguments go to redis-server, which runs as `redis` and
# owns /data. Protected mode is off unless asked for, as in the official build (the stack sets
# --requirepass; the container network is the boundary).
set -euo pipefail

if [[ ${1:-} == -* || ${1:-} == *.conf ]]; then set -- redis-server "$@"; fi

if [[ ${1:-} == redis-server ]]; then
  if [[ " $* " != *" --protected-mode "* ]]; then
    shift
    conf=()
    # A configuration file must stay redis-server's first argument.
    if [[ ${1:-} == *.conf ]]; then conf=("$1"); shift; fi
    set -- redis-server "${conf[@]}" --protected-mode no "$@"
  fi
  if [[ $(umask) == 0022 ]]; then umask 0077; fi
  if [[ $(id -u) == 0 ]]; then
    find /data \! -user redis -exec chown redis:redis '{}' + 2>/dev/null || true
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
