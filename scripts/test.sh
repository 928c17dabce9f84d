#!/usr/bin/env bash
# The whole test suite: hygiene, Rust (unit and cluster), the JS suite under
# node's test runner, vitest and bun, the TypeScript consumer checks, the
# packed packages installed without Rust, the release workflow's lint, and
# the cross-built Linux addons' ELF check.
# Cluster tests use local control planes from k8s/testenv (the three controller
# profiles: v0.5.6, v0.4.6, v1beta1-only; as root, v0.5.6 with a real kubelet
# node, where the exec, instance and provider suites run), or
# AGENT_SANDBOX_TEST_KUBECONFIG (and ..._V046, ..._V1BETA1_ONLY) if set. Docker tests use a private dockerd
# from docker/testenv (as root), or AGENT_SANDBOX_TEST_DOCKER_HOST (and
# ..._IMAGE, ..._MINIMAL_IMAGE, ..._HOST_IP) if set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
require_tools go cargo node npm openssl curl python3
cd "$ROOT"

passed=0 failed=0 failures=()
suite() { # suite NAME CMD...: run one suite, keep going on failure
  local name=$1; shift
  step "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

install_node_modules
ensure_tmux
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy -D warnings"
cargo clippy --workspace --lib --tests --quiet -- -D warnings
build_addon debug

export TESTENV_INSTANCE=${TESTENV_INSTANCE:-test-$$}
started=() docker_started='' notes=()
cleanup() {
  for profile in "${started[@]}"; do
    [[ -n $profile ]] || continue
    AGENT_SANDBOX_VERSION=$profile "$ROOT/k8s/testenv/down" --instance "$TESTENV_INSTANCE" || true
  done
  started=()
  if [[ -n $docker_started ]]; then "$ROOT/docker/testenv/down" --instance "$TESTENV_INSTANCE" || true; fi
  docker_started=''
}
trap cleanup EXIT
if [[ -z ${AGENT_SANDBOX_TEST_KUBECONFIG:-} ]]; then
  if [[ $(id -u) == 0 ]]; then
    ensure_node_packages
    ensure_docker  # mmdebstrap for the real node's images
  else
    notes+=("no real node (k8s/testenv --real-node needs root): the exec, instance and provider suites ran on the kwok node, whose commands run on this host")
  fi
  for profile in v0.5.6 v0.4.6 v1beta1-only; do
    args=(--instance "$TESTENV_INSTANCE")
    [[ $profile == v0.5.6 && $(id -u) == 0 ]] && args+=(--real-node)
    step "local control plane, controller $profile (instance $TESTENV_INSTANCE${args[2]:+, real node})"
    started+=("$profile")
    kc=$(AGENT_SANDBOX_VERSION=$profile "$ROOT/k8s/testenv/up" "${args[@]}" | tail -n1)
    case $profile in
      v0.5.6) export AGENT_SANDBOX_TEST_KUBECONFIG=$kc ;;
      v0.4.6) export AGENT_SANDBOX_TEST_KUBECONFIG_V046=$kc ;;
      v1beta1-only) export AGENT_SANDBOX_TEST_KUBECONFIG_V1BETA1_ONLY=$kc ;;
    esac
  done
fi
if [[ -z ${AGENT_SANDBOX_TEST_DOCKER_HOST:-} ]]; then
  if [[ $(id -u) == 0 ]]; then
    ensure_docker
    step "local Docker daemon (instance $TESTENV_INSTANCE)"
    docker_started=1
    docker_env=$("$ROOT/docker/testenv/up" --instance "$TESTENV_INSTANCE" | tail -n1)
    while IFS='=' read -r key value; do
      if [[ $key == AGENT_SANDBOX_TEST_DOCKER_* ]]; then export "$key=$value"; fi
    done <"$docker_env"
  else
    notes+=("no local Docker daemon (docker/testenv needs root; or set AGENT_SANDBOX_TEST_DOCKER_HOST): the Docker tests did not run against a daemon")
  fi
fi

if ((${#started[@]})); then
  for profile in "${started[@]}"; do
    suite "local control plane self-test ($profile)" env AGENT_SANDBOX_VERSION=$profile "$ROOT/k8s/testenv/selftest" --instance "$TESTENV_INSTANCE"
  done
fi
if [[ -n $docker_started ]]; then
  suite "local Docker daemon self-test" "$ROOT/docker/testenv/selftest" --instance "$TESTENV_INSTANCE"
fi
suite "cargo test (unit and cluster)" cargo test --workspace
suite "JS suite: node --test" node --test __test__/
suite "JS suite: vitest" npx vitest run
suite "JS suite: bun test" node_modules/.bin/bun test --timeout 120000 __test__/
suite "TypeScript consumers: tsc --strict, then run" bash -c 'npx tsc -p __test__/types/tsconfig.json && node target/ts-consumer/consumer.js && node target/ts-consumer/agentpane-kubeconfig.js'
suite "packed packages: installed and run without Rust (Node 20, 22, Bun)" bash "$ROOT/scripts/test-install.sh"

# No process of the instance, and no cgroup, bridge or NetworkPolicy chain of its real node.
nothing_left_of_testenv() {
  local left cgroup bridge
  if left=$(pgrep -af -- "[-]testenv/$1-v"); then echo "left running: $left"; return 1; fi
  read -r cgroup bridge < <(AGENT_SANDBOX_VERSION=v0.5.6 TESTENV_INSTANCE=$1 bash -c \
    'source k8s/testenv/lib.sh && source k8s/testenv/node/real-node.sh && echo "$(real_node_cgroup) $(real_node_bridge)"')
  if compgen -G "/sys/fs/cgroup/*$cgroup" >/dev/null; then echo "cgroups left: $(compgen -G "/sys/fs/cgroup/*$cgroup")"; return 1; fi
  if ip link show "$bridge" >/dev/null 2>&1; then echo "bridge $bridge left"; return 1; fi
  if iptables -S 2>/dev/null | grep -q -- '^-N KUBE-ROUTER-'; then echo "kube-router's iptables chains left"; return 1; fi
}

had_instances=${#started[@]} had_docker=$docker_started
cleanup
trap - EXIT
if ((had_instances)); then
  suite "k8s/testenv/down leaves no process, cgroup, bridge or iptables chain behind" nothing_left_of_testenv "$TESTENV_INSTANCE"
fi
if [[ -n $had_docker ]]; then
  suite "docker/testenv/down leaves no dockerd, containerd or shim behind" bash -c '! pgrep -af -- "[a]gent-sandbox-sdk-dockerenv/$1/"' _ "$TESTENV_INSTANCE"
fi
suite "release workflow: actionlint" bash "$ROOT/scripts/lint-workflows.sh"
suite "cross-built addons (linux-arm64-gnu, linux-x64-musl): ELF machine and C library" bash "$ROOT/scripts/cross-build.sh"
echo
if ((${#notes[@]})); then printf 'note: %s\n' "${notes[@]}"; fi
if ((failed)); then printf 'failed suites: %s\n' "${failures[*]}"; fi
echo "suites: $passed passed, $failed failed"
((failed == 0))
