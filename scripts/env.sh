# Shared settings of the project scripts (sourced). Heavy build outputs live
# under one cache directory so that a fresh clone builds warm.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export AGENT_SANDBOX_SDK_CACHE=${AGENT_SANDBOX_SDK_CACHE:-$HOME/.cache/agent-sandbox-sdk}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$AGENT_SANDBOX_SDK_CACHE/cargo-target}
export npm_config_cache=${npm_config_cache:-$AGENT_SANDBOX_SDK_CACHE/npm}
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
STEP_T0=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(($(date +%s) - STEP_T0))" "$*"; }
die() { echo "ERROR: $*" >&2; exit 1; }

require_tools() {
  local missing=()
  for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
  if ((${#missing[@]})); then
    echo "missing tools: ${missing[*]} (Go, Rust (cargo), Node.js 20+, openssl, curl and python3 are needed)" >&2
    exit 1
  fi
}

# npm packages, installed when the lock file changed since the last install.
install_node_modules() {
  cd "$ROOT"
  local stamp=node_modules/.package-lock.sha
  local want; want=$(sha256sum package-lock.json | cut -c1-64)
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    # npm install rather than npm ci: npm 11 leaves the optional platform
    # packages of a transitive dependency (@napi-rs/lzma) out of the lock
    # file, and npm ci then refuses the lock. Versions still come from it.
    step "npm install (from package-lock.json)"
    npm install --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
}

# The native addon (debug for tests, release for the demo and benchmarks).
build_addon() {
  cd "$ROOT"
  step "native addon (${1:-debug})"
  local flags=(--platform --js native.cjs --dts native.d.cts)
  [[ ${1:-debug} == release ]] && flags+=(--release)
  npx napi build "${flags[@]}"
}

# tmux runs inside the test sandboxes (the instance's tmux methods); under
# the local control plane those commands run on this host.
ensure_tmux() {
  command -v tmux >/dev/null && return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    step "installing tmux (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
  else
    echo "tmux is needed by the tests: install it (e.g. sudo apt-get install tmux)" >&2
    return 1
  fi
}

# apt_install_missing WHO ALTERNATIVE PACKAGE...: installs the packages with
# apt-get as root; otherwise says what WHO needs (and ALTERNATIVE) and fails.
apt_install_missing() {
  local who=$1 alternative=$2; shift 2
  (($#)) || return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    step "installing $* (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "$who need $*: install them (e.g. sudo apt-get install --no-install-recommends $*)$alternative" >&2
    return 1
  fi
}

# The local control plane's real node (k8s/testenv --real-node) runs
# containers with Debian's containerd, runc and CNI plugins, and compiles its
# pause program statically (gcc, libc6-dev); its images come from
# docker/testenv's recipes (mmdebstrap); kube-router enforces NetworkPolicies
# there with iptables and ipset.
ensure_node_packages() {
  local missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  command -v gcc >/dev/null || missing+=(gcc)
  [[ -f /usr/lib/x86_64-linux-gnu/libc.a || -f /usr/lib/aarch64-linux-gnu/libc.a ]] || missing+=(libc6-dev)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v iptables >/dev/null || missing+=(iptables)   # NetworkPolicy (kube-router)
  command -v ipset >/dev/null || missing+=(ipset)
  apt_install_missing "the real test node" "" "${missing[@]}"
}

# The Docker provider's tests run against a private dockerd (docker/testenv),
# whose images are built with mmdebstrap from Debian packages.
ensure_docker() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io iptables)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v ip >/dev/null || missing+=(iproute2)
  apt_install_missing "the Docker tests" \
    ", or set AGENT_SANDBOX_TEST_DOCKER_HOST (and _IMAGE, _MINIMAL_IMAGE, _HOST_IP) to a daemon of your own" "${missing[@]}"
}
