# Shared settings and helpers of the local Docker daemon (sourced, not run).
#
# One instance = one private dockerd (with the containerd it starts) on a unix
# socket, its own bridge and /24, and its own directory; nothing of it listens
# on TCP. Images are built here from Debian packages (no registry) and cached.

DEBIAN_RELEASE=bookworm
TESTENV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${AGENT_SANDBOX_SDK_CACHE:-$HOME/.cache/agent-sandbox-sdk}
IMAGE_CACHE=$CACHE_ROOT/docker-images
IMAGE_REPO=agent-sandbox-testenv   # refs: agent-sandbox-testenv/<name>:<recipe key>
IMAGES=(minimal agent)

START_TS=$(date +%s)
say() { printf '[dockerenv %4ss] %s\n' "$(($(date +%s) - START_TS))" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

INSTANCE=${TESTENV_INSTANCE:-default}
case "$INSTANCE" in *[!a-zA-Z0-9_-]*|"") echo "dockerenv: instance name must match [a-zA-Z0-9_-]+" >&2; exit 2 ;; esac

# Unix socket paths are limited to 108 bytes; the longest one under the
# instance directory is containerd's (exec/containerd/containerd.sock.ttrpc).
# A TMPDIR too deep for that falls back to /tmp.
RUN_ROOT=${DOCKER_TESTENV_RUN_ROOT:-${TMPDIR:-/tmp}/agent-sandbox-sdk-dockerenv}
W=$RUN_ROOT/$INSTANCE
if ((${#W} + 37 > 100)) && [[ -z ${DOCKER_TESTENV_RUN_ROOT:-} ]]; then
  RUN_ROOT=/tmp/agent-sandbox-sdk-dockerenv W=/tmp/agent-sandbox-sdk-dockerenv/$INSTANCE
fi
((${#W} + 37 <= 100)) || { echo "dockerenv: $W is too long for unix socket paths; use a shorter instance name or DOCKER_TESTENV_RUN_ROOT" >&2; exit 2; }
[[ $W != *[[:space:]\'\"\\]* ]] || { echo "dockerenv: the run directory $W must not contain spaces or quotes" >&2; exit 2; }
SOCK=$W/docker.sock
ENV_FILE=$W/docker.env
# The bridge and the cgroup parent are named after the instance directory
# (interface names are at most 15 characters).
ID=asdk-$(printf '%s' "$W" | sha256sum | cut -c1-8)
BRIDGE=$ID

# api METHOD PATH [curl args...]: the daemon's HTTP API on its unix socket.
api() { local m=$1 p=$2; shift 2; curl -sS --fail --max-time "${API_TIMEOUT:-30}" --unix-socket "$SOCK" -X "$m" "$@" "http://docker$p"; }
daemon_ready() { [[ -S $SOCK ]] && [[ $(API_TIMEOUT=3 api GET /_ping 2>/dev/null) == OK ]]; }

# ours PID: PID is alive and is one of this instance's processes (its command
# line names the instance directory), so a recycled pid is never signalled.
ours() {
  [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$W/"
}
dockerd_pid() { local p; p=$(cat "$W/docker.pid" 2>/dev/null) && ours "$p" && echo "$p"; }
containerd_pid() { local p; p=$(cat "$W/exec/containerd/containerd.pid" 2>/dev/null) && ours "$p" && echo "$p"; }

# image_key NAME: the cache key of an image, a hash of its recipe's text and
# the Debian release (and architecture) it is built from.
image_key() {
  { cat "$TESTENV_DIR/images/$1.sh"; echo "$DEBIAN_RELEASE $(dpkg --print-architecture 2>/dev/null || uname -m)"; } | sha256sum | cut -c1-12
}
image_ref() { echo "$IMAGE_REPO/$1:$(image_key "$1")"; }
image_tarball() { echo "$IMAGE_CACHE/$1-$(image_key "$1").tar.gz"; }

# run_logged LOG CMD...: run a long step with its output in LOG, and a
# heartbeat line every 30 s so nobody stares at a silent terminal.
run_logged() {
  local log=$1; shift
  mkdir -p "$(dirname "$log")"
  local t0; t0=$(date +%s)
  "$@" >"$log" 2>&1 &
  local pid=$! n=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1; n=$((n + 1))
    if ((n % 30 == 0)); then
      say "  still working ($(($(date +%s) - t0))s; last: $(tail -c 300 "$log" | tr '\n\r' '  ' | tail -c 100))"
    fi
  done
  if ! wait "$pid"; then
    tail -n 40 "$log" >&2
    die "failed after $(($(date +%s) - t0))s (full log: $log)"
  fi
}

require_root() {
  [[ $(id -u) == 0 ]] || die "a private dockerd needs root (run as root, or point AGENT_SANDBOX_TEST_DOCKER_HOST at a daemon of your own)"
}

require_commands() { # require_commands CMD...: with the Debian packages that provide them
  local missing=() c
  for c in "$@"; do command -v "$c" >/dev/null || missing+=("$c"); done
  ((${#missing[@]} == 0)) || die "missing ${missing[*]}: apt-get install --no-install-recommends docker.io iptables mmdebstrap iproute2 curl (scripts/env.sh: ensure_docker)"
}

# remove_tree DIR: unmount whatever is still mounted below DIR (deepest
# first), then delete it without crossing into other filesystems.
remove_tree() {
  local d=$1 m
  [[ -n $d && $d == /*/* ]] || die "remove_tree: refusing to remove '$d'"
  awk -v d="$d/" 'index($5 "/", d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || say "could not unmount $m"
  done
  rm -rf --one-file-system "$d"
}
