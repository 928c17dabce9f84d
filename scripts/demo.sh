#!/usr/bin/env bash
# Install everything, build, and run examples/demo.mjs against the cluster of
# your kubeconfig if one answers, else against the bundled local control
# plane (built from Go modules on first use: ~10-30 min, then cached).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
require_tools go cargo node npm openssl curl python3
cd "$ROOT"
install_node_modules
build_addon release

reachable() {
  node -e '
    const sdk = require("./index.cjs");
    let kc; try { kc = sdk.loadKubeConfig(); } catch { process.exit(1); }
    new sdk.AgentSandboxClient({ kubeConfig: kc }).healthCheck().then((h) => process.exit(h.clusterVersion ? 0 : 1));
  ' 2>/dev/null
}

if [[ -z ${DEMO_LOCAL:-} ]] && reachable; then
  step "demo against your kubeconfig's cluster"
else
  step "no reachable cluster in your kubeconfig: starting the bundled local control plane"
  export KUBECONFIG; KUBECONFIG=$("$ROOT/k8s/testenv/up" --instance demo | tail -n1)
  unset K8S_KUBECONFIG
  echo "(stop it with: k8s/testenv/down --instance demo)"
fi
node examples/demo.mjs
