#!/usr/bin/env bash
# Makes sure Debian's nginx and Prometheus are installed, for the integration tests that run them
# in front of / beside the app (tests/integration/nginx.test.ts, prometheus.test.ts) and for
# trying the configurations under nginx/ and monitoring/ by hand. Installs what is missing with
# apt-get (needs root) without starting the packages' services: the tests start their own
# processes on free ports. Safe to run any number of times. Progress goes to stderr; the last two
# lines printed are NGINX_BIN=<path> and PROMETHEUS_BIN=<path>.
set -euo pipefail

log() { echo "install-ops-tools: $*" >&2; }

# Debian installs nginx in /usr/sbin, which a non-root PATH may lack.
find_bin() { command -v "$1" 2>/dev/null || { [[ -x /usr/sbin/$1 ]] && echo "/usr/sbin/$1"; } || true; }

missing=()
[[ -n $(find_bin nginx) ]] || missing+=(nginx)
[[ -n $(find_bin prometheus) && -n $(find_bin promtool) ]] || missing+=(prometheus)

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    log "missing: ${missing[*]}; installing needs root (apt-get install ${missing[*]})"
    exit 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the packages' init scripts from starting nginx on :80 and Prometheus on :9090.
  policy=/usr/sbin/policy-rc.d
  created_policy=false
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=true
  fi
  trap '$created_policy && rm -f "$policy"' EXIT
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

nginx_bin=$(find_bin nginx)
prometheus_bin=$(find_bin prometheus)
if [[ -z $nginx_bin || -z $prometheus_bin ]]; then
  log "nginx or prometheus still not found after installing"
  exit 1
fi
log "$("$nginx_bin" -v 2>&1); $("$prometheus_bin" --version 2>&1 | head -n 1)"
echo "NGINX_BIN=$nginx_bin"
echo "PROMETHEUS_BIN=$prometheus_bin"
