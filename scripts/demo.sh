#!/usr/bin/env bash
# Install everything, build, and run the demo:
# - examples/demo.mjs against the cluster of your kubeconfig if one answers,
#   else against the bundled local control plane (built from Go modules on
#   first use: ~10-30 min, then cached);
# - examples/demo-docker.mjs, the provider on Docker, with --docker, or when
#   neither a cluster nor the bundled control plane can be used: on the
#   daemon of DOCKER_HOST (or the usual sockets) if one answers, else on a
#   bundled private dockerd (docker/testenv, as root).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
require_tools cargo node npm curl
cd "$ROOT"
mode=auto
for arg in "$@"; do
  case $arg in
    --docker) mode=docker ;;
    *) echo "usage: scripts/demo.sh [--docker]" >&2; exit 2 ;;
  esac
done
install_node_modules
build_addon release

reachable() {
  node -e '
    const sdk = require("./index.cjs");
    let kc; try { kc = sdk.loadKubeConfig(); } catch { process.exit(1); }
    new sdk.AgentSandboxClient({ kubeConfig: kc }).healthCheck().then((h) => process.exit(h.clusterVersion ? 0 : 1));
  ' 2>/dev/null
}

docker_answers() {
  node -e '
    const sdk = require("./index.cjs");
    new sdk.DockerSandboxProvider({ dockerHost: process.env.DOCKER_HOST }).healthCheck().then((h) => process.exit(h.healthy ? 0 : 1));
  ' 2>/dev/null
}

run_docker_demo() {
  if docker_answers; then
    step "demo of the Docker provider on ${DOCKER_HOST:-the default Docker socket}"
  elif [[ $(id -u) == 0 ]]; then
    step "no Docker daemon answers: starting a bundled private one (docker/testenv)"
    ensure_docker
    local env_file key value
    env_file=$("$ROOT/docker/testenv/up" --instance demo | tail -n1)
    while IFS='=' read -r key value; do
      case $key in
        AGENT_SANDBOX_TEST_DOCKER_HOST) export DOCKER_HOST=$value ;;
        AGENT_SANDBOX_TEST_DOCKER_IMAGE) export DEMO_IMAGE=${DEMO_IMAGE:-$value} ;;
      esac
    done <"$env_file"
    echo "(stop it with: docker/testenv/down --instance demo)"
  else
    echo "no Docker daemon answers, and the bundled one needs root: start Docker or set DOCKER_HOST" >&2
    exit 1
  fi
  node examples/demo-docker.mjs
}

if [[ $mode == docker ]]; then
  run_docker_demo
  exit
fi
if [[ -z ${DEMO_LOCAL:-} ]] && reachable; then
  step "demo against your kubeconfig's cluster"
elif ! command -v go >/dev/null || ! command -v openssl >/dev/null; then
  step "no reachable cluster, and the bundled control plane needs Go and openssl: the Docker provider instead"
  run_docker_demo
  exit
else
  step "no reachable cluster in your kubeconfig: starting the bundled local control plane"
  export KUBECONFIG
  if ! KUBECONFIG=$("$ROOT/k8s/testenv/up" --instance demo | tail -n1); then
    step "the bundled control plane could not start: the Docker provider instead"
    run_docker_demo
    exit
  fi
  unset K8S_KUBECONFIG
  echo "(stop it with: k8s/testenv/down --instance demo)"
fi
node examples/demo.mjs
