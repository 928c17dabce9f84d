#!/usr/bin/env bash
# npm run bench [-- OPTIONS]: builds the release addon, starts a local control
# plane (instance "bench"), runs bench/run.mjs against it, stops it again.
# Options go to bench/run.mjs, e.g. `npm run bench -- --quick --only exec,watch`.
# BENCH_KUBECONFIG=PATH uses an already running cluster instead (not stopped).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
for a in "$@"; do [[ $a == -h || $a == --help ]] && exec node "$ROOT/bench/run.mjs" --help; done
require_tools go cargo node npm openssl curl python3
cd "$ROOT"
export AGENT_SANDBOX_VERSION=${AGENT_SANDBOX_VERSION:-v0.5.6}
source "$ROOT/k8s/testenv/lib.sh" # BIN (kubectl) for this version set

install_node_modules
build_addon release
export BENCH_ADDON_PROFILE=release

if [[ -n ${BENCH_KUBECONFIG:-} ]]; then
  KC=$BENCH_KUBECONFIG
else
  stop_cluster() { "$ROOT/k8s/testenv/down" --instance bench >/dev/null 2>&1 || true; }
  trap stop_cluster EXIT
  step "local control plane (instance bench, controller $AGENT_SANDBOX_VERSION)"
  # The agent image starts in BENCH_POD_START_MS on the local node (others at
  # once): what a warm pool saves is then visible in the provider row.
  export TESTENV_SLOW_POD_IMAGE=srlynch1/agent-sandbox:latest TESTENV_SLOW_POD_READY_MS=${BENCH_POD_START_MS:-3000}
  KC=$("$ROOT/k8s/testenv/up" --instance bench | tail -n1)
fi

step "benchmarks (node bench/run.mjs $*)"
node bench/run.mjs --kubeconfig "$KC" --kubectl "$BIN/kubectl" "$@"
