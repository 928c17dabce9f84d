# The real node of the local control plane (sourced by testenv.sh, not run).
#
# With TESTENV_REAL_NODE=1 (or `up --real-node`), `up` joins a real kubelet
# beside the simulated kwok node: the kubelet built from the apiserver's own
# version, Debian's containerd, runc and CNI plugins, in a private mount
# namespace and a cgroup subtree of their own, with the test images imported
# from docker/testenv's cache. It is tainted, so only pods that ask for it
# land there: a namespace annotated by the tests (PodNodeSelector and
# PodTolerationRestriction, see real-node.json) sends all its pods to it.
# Needs root. Why each setting is there: the README, "The real node".

source "$TESTENV_DIR/node/cgroups.sh"

REAL_NODE_NAME=127.0.0.1  # the kubelet refuses a loopback --node-ip, not a loopback hostname (see README)
REAL_NODE_LABEL=agent-sandbox-sdk.dev/node=real
REAL_NODE_TAINT_KEY=agent-sandbox-sdk.dev/real-node
# Pod networks: 10.199.N.0/24, N reserved per instance like the ports.
SUBNET_DIR=$RUN_ROOT/.subnets

real_node_enabled() { [[ -n ${TESTENV_REAL_NODE:-} && ${TESTENV_REAL_NODE} != 0 ]]; }

# Names derived from the instance directory: the cgroup subtree and the
# bridge (interface names are at most 15 characters).
real_node_id() { printf '%s' "$W" | sha256sum | cut -c1-8; }
real_node_cgroup() { echo "/agent-sandbox-sdk-node-$(real_node_id)"; }
real_node_bridge() { echo "asdkn-$(real_node_id)"; }

real_node_check_host() {
  [[ $(id -u) == 0 ]] || die "the real node needs root (containerd, runc, mounts, cgroups); run as root or without --real-node"
  local c missing=()
  for c in containerd ctr runc unshare ip gcc python3; do command -v "$c" >/dev/null || missing+=("$c"); done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || missing+=(containernetworking-plugins)
  ((${#missing[@]} == 0)) || die "the real node needs: ${missing[*]} (scripts/env.sh ensure_node_packages installs them with apt-get)"
}

allocate_subnet() {
  mkdir -p "$SUBNET_DIR"
  exec 8>"$SUBNET_DIR/.lock"; flock 8
  local n
  for ((n = 1; n < 255; n++)); do
    [[ -e "$SUBNET_DIR/$n" ]] && continue
    ip -4 route show "10.199.$n.0/24" 2>/dev/null | grep -q . && continue
    echo "$INSTANCE-$AGENT_SANDBOX_VERSION" >"$SUBNET_DIR/$n"
    printf 'REAL_NODE_SUBNET=%s\n' "$n" >>"$W/env"
    REAL_NODE_SUBNET=$n
    flock -u 8; return 0
  done
  flock -u 8
  die "no free 10.199.N.0/24 left for the real node's pods"
}

# The pause image: our own static pause (node/pause.c), cached by its source
# and the compiler's version, as a root filesystem tarball.
PAUSE_CACHE=$CACHE_ROOT/node-images
pause_key() { { cat "$TESTENV_DIR/node/pause.c"; gcc --version | head -n1; uname -m; } | sha256sum | cut -c1-12; }
build_pause_image() {
  local key tarball tmp
  key=$(pause_key); tarball=$PAUSE_CACHE/pause-$key.tar
  if [[ ! -f $tarball ]]; then
    mkdir -p "$PAUSE_CACHE"
    tmp=$(mktemp -d "$PAUSE_CACHE/.build-XXXXXX")
    gcc -static -Os -Wall -Wextra -Werror -o "$tmp/pause" "$TESTENV_DIR/node/pause.c" || { rm -rf "$tmp"; die "compiling node/pause.c failed (a static glibc, libc6-dev, is needed)"; }
    tar --numeric-owner --owner=0 --group=0 -C "$tmp" -cf "$tmp/pause.tar" pause
    mv "$tmp/pause.tar" "$tarball"; rm -rf "$tmp"
    say "pause image ($key): built"
  fi
  PAUSE_IMAGE=agent-sandbox-testenv/pause:$key
  PAUSE_TARBALL=$tarball
}

# write_node_images: OCI archives for containerd of the pause image and
# docker/testenv's images (built there if missing; one recipe, two daemons).
write_node_images() {
  local D=$W/node name key tarball recipe
  mkdir -p "$D/images"
  build_pause_image
  printf 'ENTRYPOINT ["/pause"]\n' | python3 "$TESTENV_DIR/node/oci-archive.py" \
    --rootfs "$PAUSE_TARBALL" --ref "docker.io/$PAUSE_IMAGE" --out "$D/images/pause.tar" --config-lines -
  local list; list=$("$TESTENV_DIR/../../docker/testenv/build" --list) || die "building the test images (docker/testenv/build) failed"
  REAL_NODE_IMAGES=()
  while read -r name key tarball recipe; do
    "$recipe" changes | python3 "$TESTENV_DIR/node/oci-archive.py" \
      --rootfs "$tarball" --ref "docker.io/agent-sandbox-testenv/$name:$key" --out "$D/images/$name.tar" --config-lines -
    REAL_NODE_IMAGES+=("$name=agent-sandbox-testenv/$name:$key")
  done <<<"$list"
}

write_node_config() {
  local D=$W/node cg; cg=$(real_node_cgroup)
  mkdir -p "$D/kubelet" "$D/cni" "$D/cni-ipam" "$D/volume-plugins" "$D/containerd"
  cat >"$D/containerd.toml" <<EOF
version = 2
root = "$D/containerd/root"
state = "$D/containerd/state"
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$D/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # runc cannot lower a container's oom_score_adj below containerd's own here
  # (no CAP_SYS_RESOURCE in this VM): keep the kubelet's values at or above it.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$D/cni"
EOF
  # A bridge of our own, no masquerading and no forwarding: pods reach each
  # other and this host's bridge address, nothing beyond.
  cat >"$D/cni/10-testenv.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "agent-sandbox-testenv",
  "plugins": [
    {
      "type": "bridge", "bridge": "$(real_node_bridge)", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.199.$REAL_NODE_SUBNET.0/24"}]], "dataDir": "$D/cni-ipam"}
    }
  ]
}
EOF
  cat >"$D/kubelet.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$W/pki/ca.crt"}
users:
- name: node
  user: {client-certificate: "$W/pki/kubelet-client.crt", client-key: "$W/pki/kubelet-client.key"}
contexts:
- name: node
  context: {cluster: testenv, user: node}
current-context: node
EOF
  cat >"$D/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# Serving: loopback only; only holders of a certificate from the testenv CA
# (the API server) may call it.
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $W/pki/loopback.crt
tlsPrivateKeyFile: $W/pki/loopback.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $W/pki/ca.crt}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$D/containerd.sock
imageServiceEndpoint: unix://$D/containerd.sock
# This host: cgroup v1 (with a cgroup2 hierarchy beside it), no systemd.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: $cg
# Refuse to start rather than rewrite the host's kernel settings; run-node
# shows the kubelet the expected values inside its own mount namespace.
protectKernelDefaults: true
# No KUBE-FIREWALL / canary chains in the host's iptables.
makeIPTablesUtilChains: false
volumePluginDir: $D/volume-plugins
podLogsDir: /var/log/pods
failSwapOn: false
registerNode: true
registerWithTaints:
- {key: $REAL_NODE_TAINT_KEY, value: "true", effect: NoSchedule}
# A shared CI disk: evict only when really full, and never collect the
# imported images (there is no registry to pull them from again).
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
maxPods: 110
EOF
  {
    printf 'CGROUP_ROOT=%q\nKUBELET=%q\nCONTAINERD_SOCK=%q\nNODE_NAME=%q\n' "$cg" "$BIN/kubelet" "$D/containerd.sock" "$REAL_NODE_NAME"
    printf 'KUBELET_ARGS=(%q %q %q %q %q %q)\n' --config="$D/kubelet.yaml" --kubeconfig="$D/kubelet.kubeconfig" \
      --hostname-override="$REAL_NODE_NAME" --node-labels="$REAL_NODE_LABEL" --root-dir="$D/kubelet" --v=2
  } >"$D/node.env"
}

# What the tests read (next to the kubeconfig): the node and how to send a
# namespace's pods to it, and the image references.
write_real_node_json() {
  local images='' entry
  for entry in "${REAL_NODE_IMAGES[@]}" "pause=$PAUSE_IMAGE"; do images+="${images:+,}\"${entry%%=*}\":\"${entry#*=}\""; done
  cat >"$W/real-node.json" <<EOF
{
  "nodeName": "$REAL_NODE_NAME",
  "podSubnet": "10.199.$REAL_NODE_SUBNET.0/24",
  "namespaceAnnotations": {
    "scheduler.alpha.kubernetes.io/node-selector": "$REAL_NODE_LABEL",
    "scheduler.alpha.kubernetes.io/defaultTolerations": "[{\\"key\\":\\"$REAL_NODE_TAINT_KEY\\",\\"operator\\":\\"Exists\\",\\"effect\\":\\"NoSchedule\\"}]"
  },
  "images": {$images},
  "cgroupRoot": "$(real_node_cgroup)"
}
EOF
}

real_node_ready() {
  [[ "$(kubectl_ get node "$REAL_NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

start_real_node() {
  real_node_check_host
  allocate_subnet
  say "real node: images (docker/testenv's cache) and configuration"
  write_node_images
  write_node_config
  start real-node unshare --mount --propagation private -- "$TESTENV_DIR/node/run-node" "$W/node"
  wait_for real-node 180 real_node_ready
  write_real_node_json
  say "real node $REAL_NODE_NAME: Ready (pods on 10.199.$REAL_NODE_SUBNET.0/24; logs in $W/node/*.log)"
}

# After the supervisor stopped: containers and shims outlive containerd and
# the kubelet, so whatever is left in the node's cgroups is killed, then the
# cgroups, the bridge and the subnet reservation go. The mount namespace ends
# with its last process.
stop_real_node_leftovers() {
  local cg h i pid procs found
  cg=$(real_node_cgroup); cg=${cg#/}
  # Kill and remove until the subtree is gone from every hierarchy: a
  # container being started as the runtime stopped can still move into a
  # new cgroup after a pass has looked (seen here), so one pass is not enough.
  for ((i = 0; i < 150; i++)); do
    found=0
    for h in $(cgroup_hierarchies); do
      [[ -d $h$cg ]] || continue
      found=1
      while IFS= read -r procs; do
        while read -r pid; do [[ -z $pid ]] || kill -KILL "$pid" 2>/dev/null || true; done <"$procs"
      done < <(find "$h$cg" -name cgroup.procs 2>/dev/null)
      find "$h$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    ((found)) || break
    sleep 0.2
  done
  ((found == 0)) || say "WARNING: the real node's cgroups are still there after 30 s: $(compgen -G "/sys/fs/cgroup/*/$cg" | tr '\n' ' ')"
  ip link delete "$(real_node_bridge)" 2>/dev/null || true
  if [[ -n ${REAL_NODE_SUBNET:-} ]]; then rm -f "$SUBNET_DIR/$REAL_NODE_SUBNET"; fi
  return 0
}
