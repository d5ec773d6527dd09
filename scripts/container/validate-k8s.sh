#!/usr/bin/env bash
# Validates Kubernetes manifests (default: docs/kubernetes/*.yaml) against the real Kubernetes
# schemas, offline: kubernetes-validate from PyPI bundles the JSON schemas of each Kubernetes
# release (docs/decisions/0045). Strict: an unknown field, a wrong type, a missing required field
# and a kind or apiVersion the release does not serve all fail. The manifests are plain YAML (no
# kustomize, no templating), so there is nothing to render: they are validated as they are applied.
#
# The validator is installed once, with the host's Python 3, into a virtual environment under
# ${STORECAST_CACHE:-~/.cache/storecast} (keyed by its pinned requirements); later runs need no
# network.
#
#   bash scripts/container/validate-k8s.sh [FILE...]      # npm run k8s:validate
#
# Env: K8S_VERSIONS ("1.33.0 1.37.0": an older release still common on managed clusters and the
#      newest the package knows), PYTHON (python3), STORECAST_CACHE.
# Exit: 0 valid, 1 invalid (each problem on a line naming file, resource and field), 3 the
#       validator cannot be installed here (one line saying why; .ci/run skips on it).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REQUIREMENTS=$HERE/k8s-validate-requirements.txt
VERSIONS=${K8S_VERSIONS:-1.33.0 1.37.0}
PYTHON=${PYTHON:-python3}
VENV=${STORECAST_CACHE:-$HOME/.cache/storecast}/k8s-validate-$(sha256sum "$REQUIREMENTS" | cut -c1-12)

skip() { echo "kubernetes manifests: skipped: $*"; exit 3; }
log() { echo "validate-k8s: $*" >&2; }

if [ $# -gt 0 ]; then files=("$@"); else files=("$ROOT"/docs/kubernetes/*.yaml); fi

ready() { "$VENV/bin/python" -c "import kubernetes_validate" 2>/dev/null; }
# Made beside its place and moved in when complete: an interrupted or concurrent install never
# leaves a half-made venv where the next run would trust it (one that stopped working, e.g. after
# the host's Python changed, is made again).
if ! ready; then
  command -v "$PYTHON" >/dev/null || skip "no \`$PYTHON\` on PATH to install kubernetes-validate with"
  work=$VENV.partial.$$
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$(dirname "$VENV")"
  log "installing kubernetes-validate from PyPI into $VENV (once)"
  out=$("$PYTHON" -m venv "$work" 2>&1) ||
    skip "\`$PYTHON -m venv\` failed ($(tail -n 1 <<<"$out"); Debian: apt-get install python3-venv)"
  out=$("$work/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS" 2>&1) ||
    skip "pip could not install kubernetes-validate ($(tail -n 1 <<<"$out"); is PyPI reachable?)"
  ready || rm -rf "$VENV"
  mv -T "$work" "$VENV" 2>/dev/null || true # another run may have moved its own in first
  ready || skip "the venv in $VENV cannot import kubernetes_validate"
fi

args=(--strict)
for v in $VERSIONS; do args+=(-k "$v"); done
failed=0 checks=0
# One file at a time: a file that is not YAML stops kubernetes-validate, not the other files' checks.
for file in "${files[@]}"; do
  output=$("$VENV/bin/python" -m kubernetes_validate "${args[@]}" "$file" 2>&1)
  rc=$?
  # It only warns (exit 0) when it has no schema for a kind/apiVersion; every kind here is a
  # built-in one, so that is a typo or an API the release no longer serves: a failure too.
  problems=$(grep -v '^INFO ' <<<"$output")
  if [ $rc -ne 0 ] || [ -n "$problems" ]; then
    echo "$problems"
    failed=$((failed + 1))
  fi
  checks=$((checks + $(grep -c '^INFO .* passed for resource ' <<<"$output")))
done
versions=$(wc -w <<<"$VERSIONS")
against="kubernetes-validate --strict, Kubernetes ${VERSIONS// /, }"
if [ $failed -gt 0 ]; then
  echo "kubernetes manifests: $failed of ${#files[@]} files INVALID ($against)"
  exit 1
fi
echo "kubernetes manifests: ${#files[@]} files, $((checks / versions)) resources valid ($against)"
