# Shared settings and helpers of the local control plane (sourced, not run).
#
# Versions are pinned here and nowhere else. AGENT_SANDBOX_VERSION selects the
# controller profile: v0.5.6 (default; v1beta1 storage with v1alpha1 served
# through the real conversion webhook), v0.4.6 (v1alpha1 only), or
# v1beta1-only: the API as agent-sandbox v1.x serves it (v1beta1 alone, no
# conversion webhook) with the newest controller the Go proxy here serves,
# v0.5.6 (v1.x itself cannot be built here).

K8S_VERSION=v1.36.3
K8S_STAGING_VERSION=v0.36.3
ETCD_VERSION=v3.6.14
KWOK_VERSION=v0.8.0
KUBE_ROUTER_VERSION=v2.1.0   # the real node's NetworkPolicy controller (the only version the Go proxy lists)
AGENT_SANDBOX_VERSION=${AGENT_SANDBOX_VERSION:-v0.5.6}

# AS_BUILD: the controller release built for the profile.
case "$AGENT_SANDBOX_VERSION" in
  v0.5.6) AS_PROFILE=v1beta1 AS_BUILD=v0.5.6 ;;
  v0.4.6) AS_PROFILE=v1alpha1 AS_BUILD=v0.4.6 ;;
  v1beta1-only) AS_PROFILE=v1beta1-only AS_BUILD=v0.5.6 ;;
  *) echo "testenv: unsupported AGENT_SANDBOX_VERSION=$AGENT_SANDBOX_VERSION (use v0.5.6, v0.4.6 or v1beta1-only)" >&2; exit 2 ;;
esac

TESTENV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${AGENT_SANDBOX_SDK_CACHE:-$HOME/.cache/agent-sandbox-sdk}
GO_VERSION=$(go env GOVERSION 2>/dev/null || echo nogo)

# Go caches are shared by every build of every profile.
export GOMODCACHE=$CACHE_ROOT/go/mod
export GOCACHE=$CACHE_ROOT/go/build
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS=-buildvcs=false

# One directory per version set and Go toolchain; the controller (the only
# part that differs between profiles) gets a subdirectory per version.
VERSION_KEY=k8s${K8S_VERSION#v}-etcd${ETCD_VERSION#v}-kwok${KWOK_VERSION#v}-${GO_VERSION}
BUILD_DIR=$CACHE_ROOT/testenv/$VERSION_KEY
BIN=$BUILD_DIR/bin
SRC=$BUILD_DIR/src
AS_DIR=$BUILD_DIR/agent-sandbox-$AS_BUILD

# Per-instance runtime state lives outside the cache: it is thrown away by down.
INSTANCE=${TESTENV_INSTANCE:-default}
case "$INSTANCE" in *[!a-zA-Z0-9_-]*|"") echo "testenv: instance name must match [a-zA-Z0-9_-]+" >&2; exit 2 ;; esac
RUN_ROOT=${TESTENV_RUN_ROOT:-${TMPDIR:-/tmp}/agent-sandbox-sdk-testenv}
W=$RUN_ROOT/$INSTANCE-${AGENT_SANDBOX_VERSION}

START_TS=$(date +%s)
say() { printf '[testenv %4ss] %s\n' "$(($(date +%s) - START_TS))" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# run_logged NAME CMD...: run a build step with its output in a log file, and a
# heartbeat line every 30 s so nobody stares at a silent terminal.
run_logged() {
  local name=$1; shift
  local log=$BUILD_DIR/logs/$name.log
  mkdir -p "$BUILD_DIR/logs"
  local t0; t0=$(date +%s)
  "$@" >"$log" 2>&1 &
  local pid=$! n=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1; n=$((n + 1))
    if ((n % 30 == 0)); then
      say "  $name: still working ($(($(date +%s) - t0))s; last: $(tail -c 300 "$log" | tr '\n\r' '  ' | tail -c 100))"
    fi
  done
  if ! wait "$pid"; then
    tail -n 40 "$log" >&2
    die "$name failed after $(($(date +%s) - t0))s (full log: $log)"
  fi
  say "  $name: done in $(($(date +%s) - t0))s"
}
