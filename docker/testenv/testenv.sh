#!/usr/bin/env bash
# A private Docker daemon for the Docker provider's tests: up | down | status | env.
#
# Per instance (--instance NAME or TESTENV_INSTANCE; default "default"), all under
# ${TMPDIR:-/tmp}/agent-sandbox-sdk-dockerenv/NAME/: docker.sock (the API; no TCP),
# docker.pid, data/ (data-root), exec/ (exec-root; containerd's socket and pid in
# exec/containerd/), logs/, state, and docker.env (AGENT_SANDBOX_TEST_DOCKER_*; up
# prints its path last). Bridge asdk-XXXXXXXX with 10.213.N.1/24 (N reserved per
# instance), user-defined networks from 10.214.N.0/24, cgroup parent /asdk-XXXXXXXX.
# No iptables rules, forwarding or masquerading of ours: containers reach the host
# (tests use the bridge address), nothing beyond it. Images: ./build (cached).
# down stops by pid exactly what up started, and fails on leftovers. Root only.
set -euo pipefail

cmd=${1:-help}; shift || true
ALL_INSTANCES=1
[[ -n ${TESTENV_INSTANCE:-} ]] && ALL_INSTANCES=
while (($#)); do
  case "$1" in
    --instance) export TESTENV_INSTANCE=$2; ALL_INSTANCES=; shift 2 ;;
    --instance=*) export TESTENV_INSTANCE=${1#*=}; ALL_INSTANCES=; shift ;;
    --no-build) NO_BUILD=1; shift ;;
    -h|--help) cmd=help; shift ;;
    *) echo "dockerenv: unknown option $1" >&2; exit 2 ;;
  esac
done
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- addresses ------------------------------------------------------------

# shellcheck disable=SC2086  # split on the dots
ip2int() { local IFS=.; set -- $1; echo $((($1 << 24) + ($2 << 16) + ($3 << 8) + $4)); }

# subnet_free A.B.C.0: no address or route of the host overlaps A.B.C.0/24.
subnet_free() {
  local cand dest len net mask
  cand=$(ip2int "$1")
  while read -r dest; do
    [[ $dest == */* ]] || dest=$dest/32
    len=${dest#*/} net=$(ip2int "${dest%/*}")
    ((len == 0)) && continue
    ((len > 24)) && len=24
    mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
    (((cand & mask) == (net & mask))) && return 1
  done < <(ip -4 -o addr show | awk '{ print $4 }'
           ip -4 route show table all | awk '$1 ~ /^(local|broadcast|unicast|multicast|anycast|unreachable|prohibit|blackhole|throw|nat)$/ { print $2; next } $1 != "default" { print $1 }')
  return 0
}

# A /24 per instance (10.213.N.0/24 for the bridge, 10.214.N.0/24 for networks
# the tests create), reserved under a lock so parallel instances never collide,
# and skipped where the host already has an address or route in it.
allocate_subnet() {
  local dir=$RUN_ROOT/.subnets lock n f owner
  mkdir -p "$dir"
  exec {lock}>"$RUN_ROOT/.subnets.lock"
  flock "$lock"
  for ((n = 1; n < 255; n++)); do
    f=$dir/$n
    if [[ -f $f ]]; then
      owner=$(cat "$f")
      [[ $owner == "$W" ]] && break
      [[ -d $owner ]] && continue
      rm -f "$f"  # its instance is gone
    fi
    if subnet_free "10.213.$n.0" && subnet_free "10.214.$n.0"; then echo "$W" >"$f"; break; fi
  done
  flock -u "$lock"
  ((n < 255)) || die "no free /24 left in 10.213.1-254.0 (see: ip -4 route)"
  SUBNET_INDEX=$n
}

release_subnet() {
  local f=$RUN_ROOT/.subnets/${SUBNET_INDEX:-none}
  [[ -f $f && $(cat "$f") == "$W" ]] && rm -f "$f"
  return 0
}

bridge_exists() { ip link show dev "$1" >/dev/null 2>&1; }

# Bridges of the networks the tests created: those with an address in the
# instance's pool (found this way even when the daemon died without removing them).
pool_bridges() {
  [[ -n ${ADDRESS_POOL:-} ]] || return 0
  local prefix=${ADDRESS_POOL%.0/24}. dev
  for dev in $(ip -4 -o addr show | awk -v p="$prefix" 'index($4, p) == 1 { print $2 }' | sort -u); do
    [[ -d /sys/class/net/$dev/bridge ]] && echo "$dev"
  done
  return 0
}

make_bridge() {
  if bridge_exists "$BRIDGE"; then say "removing a stale bridge $BRIDGE"; ip link del dev "$BRIDGE"; fi
  ip link add name "$BRIDGE" type bridge
  ip addr add "$HOST_IP/24" dev "$BRIDGE"
  ip link set dev "$BRIDGE" up
}

# --- processes ------------------------------------------------------------

stop_pid() { # stop_pid NAME PID TIMEOUT_S: TERM, then KILL; by pid only
  local name=$1 pid=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < $3 * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  say "$name ($pid) ignored SIGTERM for $3s; killing"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

# The daemon's own processes still alive: dockerd, containerd and the shims
# (whose command lines name this instance's directory).
instance_processes() {
  local d p comm
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    comm=$(cat "$d/comm" 2>/dev/null) || continue
    case "$comm" in dockerd|containerd|containerd-shim*|runc) ;; *) continue ;; esac
    ours "$p" && echo "$p"
  done
  return 0
}

cgroup_dirs() { find /sys/fs/cgroup -maxdepth 2 -type d -name "$ID" 2>/dev/null || true; }

# Processes left in the instance's cgroups (containers whose shim is gone) are
# killed, then the cgroups removed.
remove_cgroups() {
  local d p
  for d in $(cgroup_dirs); do
    while read -r p; do
      say "killing pid $p left in cgroup $d"; kill -KILL "$p" 2>/dev/null || true
    done < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
  done
  for d in $(cgroup_dirs); do
    for _ in 1 2 3 4 5; do find "$d" -depth -type d -exec rmdir {} + 2>/dev/null && break; sleep 0.2; done
  done
}

start_dockerd() {
  # Our own (empty but for the key path) config file: the host's
  # /etc/docker/daemon.json must not apply, and dockerd 20.10 would otherwise
  # write its identity key to /etc/docker/key.json.
  printf '{"deprecated-key-path": "%s/key.json"}\n' "$W" >"$W/daemon.json"
  local args=(
    --config-file "$W/daemon.json" --host "unix://$SOCK" --pidfile "$W/docker.pid"
    --data-root "$W/data" --exec-root "$W/exec"
    --bridge "$BRIDGE" --ip "$HOST_IP" --default-address-pool "base=$ADDRESS_POOL,size=28"
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$ID"
  )
  printf '%q ' dockerd "${args[@]}" >"$W/logs/dockerd.cmd"
  # setsid -w: its pid stays valid while dockerd lives (docker.pid is dockerd's own).
  setsid -w dockerd "${args[@]}" >>"$W/logs/dockerd.log" 2>&1 </dev/null &
  local launcher=$! deadline=$(($(date +%s) + 60))
  until daemon_ready; do
    if ! kill -0 "$launcher" 2>/dev/null; then
      tail -n 30 "$W/logs/dockerd.log" >&2
      die "dockerd exited during start-up (log: $W/logs/dockerd.log; clean up: docker/testenv/down --instance $INSTANCE)"
    fi
    if (($(date +%s) >= deadline)); then
      tail -n 30 "$W/logs/dockerd.log" >&2
      die "dockerd did not answer on $SOCK within 60s (left running for inspection; run: docker/testenv/down --instance $INSTANCE)"
    fi
    sleep 0.3
  done
  say "dockerd ready (pid $(dockerd_pid), containerd pid $(containerd_pid || echo '?'), $(api GET /version | grep -o '"Version":"[^"]*"' | head -n1))"
}

# --- images ---------------------------------------------------------------

urlencode() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in [a-zA-Z0-9.~_-]) out+=$c ;; *) printf -v c '%%%02X' "'$c"; out+=$c ;; esac
  done
  echo "$out"
}

# docker import of each cached tarball (with its recipe's config), unless the
# daemon has that tag already.
import_images() {
  local name ref query line t0 log
  for name in "${IMAGES[@]}"; do
    ref=$(image_ref "$name")
    if api GET "/images/$ref/json" >/dev/null 2>&1; then say "image $ref: present"; continue; fi
    [[ -f $(image_tarball "$name") ]] || die "image tarball $(image_tarball "$name") missing; run docker/testenv/build"
    query="fromSrc=-&repo=$(urlencode "${ref%:*}")&tag=${ref##*:}"
    while read -r line; do query+="&changes=$(urlencode "$line")"; done < <("$TESTENV_DIR/images/$name.sh" changes)
    t0=$(date +%s) log=$W/logs/import-$name.log
    API_TIMEOUT=600 api POST "/images/create?$query" -H 'Content-Type: application/x-tar' -T "$(image_tarball "$name")" >"$log" 2>&1 \
      || { cat "$log" >&2; die "importing $ref failed"; }
    grep -q '"error' "$log" && { cat "$log" >&2; die "importing $ref failed"; }
    api GET "/images/$ref/json" >/dev/null || die "image $ref not found after import (log: $log)"
    say "image $ref: imported in $(($(date +%s) - t0))s"
  done
}

write_env() {
  printf '%s\n' \
    "AGENT_SANDBOX_TEST_DOCKER_HOST=unix://$SOCK" \
    "AGENT_SANDBOX_TEST_DOCKER_IMAGE=$(image_ref agent)" \
    "AGENT_SANDBOX_TEST_DOCKER_MINIMAL_IMAGE=$(image_ref minimal)" \
    "AGENT_SANDBOX_TEST_DOCKER_HOST_IP=$HOST_IP" >"$ENV_FILE"
}

# --- commands -------------------------------------------------------------

cmd_up() {
  require_root
  require_commands dockerd containerd runc ip curl flock setsid
  if [[ -d $W ]]; then
    if cmd_status >/dev/null 2>&1; then
      say "instance $INSTANCE already running; reusing it"
      source "$W/state"
      import_images; write_env
      echo "$ENV_FILE"; return 0
    fi
    say "instance $INSTANCE has stale state; cleaning it up first"
    cmd_down >/dev/null 2>&1 || true
  fi
  if [[ -z ${NO_BUILD:-} ]]; then "$TESTENV_DIR/build"; fi
  mkdir -p "$W/logs"
  allocate_subnet
  HOST_IP=10.213.$SUBNET_INDEX.1 ADDRESS_POOL=10.214.$SUBNET_INDEX.0/24
  printf 'SUBNET_INDEX=%s\nHOST_IP=%s\nADDRESS_POOL=%s\n' "$SUBNET_INDEX" "$HOST_IP" "$ADDRESS_POOL" >"$W/state"
  say "instance $INSTANCE in $W; bridge $BRIDGE $HOST_IP/24"
  make_bridge
  start_dockerd
  import_images
  write_env
  date -u +%FT%TZ >"$W/ready"
  say "up: set -a; source $ENV_FILE; set +a   # or: export DOCKER_HOST=unix://$SOCK"
  echo "$ENV_FILE"
}

cmd_down() {
  if [[ ! -d $W ]]; then
    if bridge_exists "$BRIDGE"; then require_root; ip link del dev "$BRIDGE"; say "removed a stale bridge $BRIDGE"; fi
    say "instance $INSTANCE is not running"; return 0
  fi
  require_root
  if [[ -f $W/state ]]; then source "$W/state"; fi
  local pid id dev ids=() nets=() proxies=()
  # Containers first, through the daemon, so that every shim exits with its
  # container; then the networks the tests made (and with them their bridges).
  if daemon_ready; then
    mapfile -t ids < <(api GET '/containers/json?all=1' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4)
    for id in "${ids[@]}"; do API_TIMEOUT=60 api DELETE "/containers/$id?force=1&v=1" >/dev/null || say "could not remove container ${id:0:12}"; done
    ((${#ids[@]} == 0)) || say "removed ${#ids[@]} container(s)"
    mapfile -t nets < <(api GET "/networks?filters=$(urlencode '{"type":["custom"]}')" | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4)
    for id in "${nets[@]}"; do api DELETE "/networks/$id" >/dev/null || say "could not remove network ${id:0:12}"; done
  fi
  if pid=$(dockerd_pid); then
    mapfile -t proxies < <(pgrep -P "$pid" -x docker-proxy || true)
    stop_pid dockerd "$pid" 30
  fi
  if pid=$(containerd_pid); then stop_pid containerd "$pid" 10; fi
  for pid in $(instance_processes); do stop_pid "$(cat "/proc/$pid/comm" 2>/dev/null || echo process)" "$pid" 5; done
  for pid in "${proxies[@]}"; do [[ $(cat "/proc/$pid/comm" 2>/dev/null) == docker-proxy ]] && stop_pid docker-proxy "$pid" 5; done
  remove_cgroups
  for dev in $(pool_bridges); do say "removing the bridge $dev of a network the daemon left"; ip link del dev "$dev"; done
  if bridge_exists "$BRIDGE"; then ip link del dev "$BRIDGE"; fi
  release_subnet
  remove_tree "$W"
  # What must be gone now: any of it left is a bug worth failing on.
  local left=()
  [[ -z $(instance_processes) ]] || left+=("processes $(instance_processes | tr '\n' ' ')")
  ! bridge_exists "$BRIDGE" || left+=("bridge $BRIDGE")
  [[ -z $(pool_bridges) ]] || left+=("bridges $(pool_bridges | tr '\n' ' ')")
  [[ -z $(cgroup_dirs) ]] || left+=("cgroups $(cgroup_dirs | tr '\n' ' ')")
  [[ ! -e $W ]] || left+=("directory $W")
  ((${#left[@]} == 0)) || die "instance $INSTANCE: left behind: ${left[*]}"
  say "instance $INSTANCE stopped"
}

cmd_status() {
  if [[ ! -f $W/state ]]; then echo "instance $INSTANCE: not running"; return 1; fi
  source "$W/state"
  local ok=0 pid
  echo "instance $INSTANCE: $W"
  if pid=$(dockerd_pid); then echo "dockerd: running (pid $pid)"; else echo "dockerd: DEAD"; ok=1; fi
  if pid=$(containerd_pid); then echo "containerd: running (pid $pid)"; else echo "containerd: DEAD"; ok=1; fi
  if daemon_ready; then echo "API: ready at unix://$SOCK"; else echo "API: not answering at unix://$SOCK"; ok=1; fi
  if bridge_exists "$BRIDGE"; then echo "bridge: $BRIDGE, host address $HOST_IP"; else echo "bridge: $BRIDGE MISSING"; ok=1; fi
  [[ -f $W/ready ]] || { echo "start-up: incomplete"; ok=1; }
  echo "env file: $ENV_FILE"
  return $ok
}

case "$cmd" in
  up) cmd_up ;;
  down) cmd_down ;;
  status)
    if [[ -n $ALL_INSTANCES ]]; then
      # No instance named: every one under the run directory.
      found=0 rc=0
      for d in "$RUN_ROOT"/*/; do
        [[ -d $d ]] || continue
        found=1; TESTENV_INSTANCE=$(basename "$d") "$0" status || rc=1
      done
      ((found)) || echo "no instance under $RUN_ROOT"
      exit $rc
    fi
    cmd_status ;;
  env) if [[ -f $ENV_FILE ]]; then cat "$ENV_FILE"; else die "instance $INSTANCE is not running"; fi ;;
  help|*) sed -n '2,12p' "$0"; echo "commands: up down status env (also as docker/testenv/<command>); options: --instance NAME, --no-build" ;;
esac
