#!/usr/bin/env bash
# The local control plane: up | down | status | logs | restart | kubeconfig.
#
# Every component binds 127.0.0.1. Processes are tracked by pid in the
# instance directory; down stops exactly those. Options:
#   --instance NAME   run several control planes at once (env TESTENV_INSTANCE)
#   --no-build        fail instead of building missing binaries
#   --real-node       also join a real kubelet node (env TESTENV_REAL_NODE=1;
#                     root only; see node/real-node.sh)
set -euo pipefail

cmd=${1:-help}; shift || true
while (($#)); do
  case "$1" in
    --instance) export TESTENV_INSTANCE=$2; shift 2 ;;
    --instance=*) export TESTENV_INSTANCE=${1#*=}; shift ;;
    --no-build) NO_BUILD=1; shift ;;
    --real-node) export TESTENV_REAL_NODE=1; shift ;;
    -h|--help) cmd=help; shift ;;
    [a-z]*) COMPONENT=$1; shift ;;  # logs COMPONENT
    *) echo "testenv: unknown option $1" >&2; exit 2 ;;
  esac
done
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$TESTENV_DIR/node/real-node.sh"
source "$TESTENV_DIR/node/network-policy.sh"

# Start order; down stops in reverse.
COMPONENTS=(etcd kube-apiserver conversion-webhook kube-controller-manager kube-scheduler node-exec-server kwok real-node kube-router agent-sandbox-controller)
PORT_NAMES=(ETCD_PORT ETCD_PEER_PORT API_PORT KCM_PORT SCHED_PORT KWOK_PORT EXEC_PORT WEBHOOK_PORT KUBELET_PORT KUBELET_HEALTHZ_PORT)
PORT_LOCK=$RUN_ROOT/.ports.lock
PORT_DIR=$RUN_ROOT/.ports

kubectl_() { "$BIN/kubectl" --kubeconfig="$W/kubeconfig" --context=admin "$@"; }

pid_alive() { [[ -f "$W/pids/$1.pid" ]] && kill -0 "$(cat "$W/pids/$1.pid")" 2>/dev/null; }

# Ports come from 20000-31999 (below the kernel's ephemeral range) and are
# reserved per instance under a lock, so parallel instances never collide.
allocate_ports() {
  mkdir -p "$PORT_DIR"
  exec 9>"$PORT_LOCK"; flock 9
  local p=20000 name
  for name in "${PORT_NAMES[@]}"; do
    while :; do
      p=$((p + 1)); ((p < 32000)) || die "no free loopback port left in 20000-31999"
      [[ -e "$PORT_DIR/$p" ]] && continue
      python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$p" 2>/dev/null || continue
      echo "$INSTANCE-$AGENT_SANDBOX_VERSION" >"$PORT_DIR/$p"
      printf '%s=%s\n' "$name" "$p" >>"$W/env"
      break
    done
  done
  flock -u 9
}

release_ports() {
  [[ -f "$W/env" ]] || return 0
  local line
  while IFS='=' read -r _ line; do rm -f "$PORT_DIR/$line"; done < <(grep '_PORT=' "$W/env")
}

start() { # start NAME CMD...: run detached, record pid, command line and log
  local name=$1; shift
  mkdir -p "$W/cmd"
  printf '%s\0' "$@" >"$W/cmd/$name"
  setsid "$@" >>"$W/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$W/pids/$name.pid"
}

# running PID: alive and not a zombie (an exited component waits for this
# host's init to reap it, which can take seconds).
running() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [[ ${st:0:1} != Z ]]; }

stop_component() { # stop_component NAME: TERM, then KILL after 10 s; by pid only
  local pid i
  pid=$(cat "$W/pids/$1.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do running "$pid" || return 0; sleep 0.1; done
  say "$1 ($pid) ignored SIGTERM; killing"
  kill -KILL "$pid" 2>/dev/null || true
}

wait_for() { # wait_for WHAT TIMEOUT_S CMD...: poll every 0.5 s
  local what=$1 timeout=$2; shift 2
  local deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ -f "$W/pids/$what.pid" ]] && ! pid_alive "$what"; then
      tail -n 30 "$W/logs/$what.log" >&2
      die "$what exited during start-up (log: $W/logs/$what.log; clean up: k8s/testenv/down --instance $INSTANCE)"
    fi
    if (($(date +%s) >= deadline)); then
      say "$what not ready after ${timeout}s; log tails:"
      tail_logs 20
      die "$what did not become ready (instance left running for inspection; run: k8s/testenv/down --instance $INSTANCE)"
    fi
    sleep 0.5
  done
  say "$what ready"
}

tail_logs() {
  local f
  for f in "$W"/logs/*.log; do [[ -f $f && $f != */pki.log ]] && { echo "--- $f" >&2; tail -n "${1:-20}" "$f" >&2; }; done
}

make_pki() {
  local d=$W/pki; mkdir -p "$d"
  ( cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj /CN=testenv-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    leaf() { # leaf NAME SAN
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
      printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$2" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$1.ext"
    }
    leaf apiserver DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.0.0.1
    leaf loopback DNS:localhost,IP:127.0.0.1  # conversion webhook and node exec server
    client() { # client NAME SUBJECT
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
      printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$1.ext"
    }
    # In system:masters, for the certificate-auth user.
    client admin-client /O=system:masters/CN=cert-admin
    # The API server's identity towards kubelets (the real node checks it).
    client apiserver-kubelet-client /O=system:masters/CN=kube-apiserver-kubelet-client
    # The real node's kubelet, as the Node authorizer expects it.
    client kubelet-client "/O=system:nodes/CN=system:node:$REAL_NODE_NAME"
    openssl genrsa -out sa.key 2048 && openssl rsa -in sa.key -pubout -out sa.pub
  ) >"$W/logs/pki.log" 2>&1 || { cat "$W/logs/pki.log" >&2; die "openssl failed"; }
}

write_credentials() {
  ADMIN_TOKEN=admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  NOBODY_TOKEN=nobody-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s,admin,1,"system:masters"\n%s,nobody,2\n' "$ADMIN_TOKEN" "$NOBODY_TOKEN" >"$W/tokens.csv"
  chmod 600 "$W/tokens.csv"
  printf '%s' "$ADMIN_TOKEN" >"$W/admin.token"
  # An exec credential plugin that hands out the admin token.
  printf '#!/bin/sh\nprintf %s "$(cat %s)"\n' \
    "'{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}'" \
    "'$W/admin.token'" >"$W/credential-plugin"
  chmod 700 "$W/credential-plugin"
  cat >"$W/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testenv
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $W/pki/ca.crt
users:
- name: admin
  user:
    token: $ADMIN_TOKEN
- name: nobody
  user:
    token: $NOBODY_TOKEN
- name: cert-admin
  user:
    client-certificate: $W/pki/admin-client.crt
    client-key: $W/pki/admin-client.key
- name: token-file-admin
  user:
    tokenFile: $W/admin.token
- name: exec-admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $W/credential-plugin
      interactiveMode: Never
contexts:
- name: admin
  context: {cluster: testenv, user: admin}
- name: nobody
  context: {cluster: testenv, user: nobody}
- name: cert-admin
  context: {cluster: testenv, user: cert-admin}
- name: token-file-admin
  context: {cluster: testenv, user: token-file-admin}
- name: exec-admin
  context: {cluster: testenv, user: exec-admin}
current-context: admin
EOF
  chmod 600 "$W/kubeconfig"
}

# The API server's audit log: one JSON line per request at level Metadata
# (who, what, the full requestURI with its query string, the response code; no
# headers or bodies). Tests read it next to the kubeconfig ($W/audit.log) to
# check what reached the server, e.g. that no secret travels in an exec URL.
# Written synchronously (blocking), so an entry is there once the response is;
# at most two files of 50 MB (lumberjack rotation: audit-<time>.log).
write_audit_policy() {
  cat >"$W/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
EOF
}

api_ready() { curl -sf --max-time 2 --cacert "$W/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" "https://127.0.0.1:$API_PORT/readyz"; }

# v1beta1-only: what agent-sandbox v1.x installs; v1alpha1 gone from every
# CRD, no conversion (a fresh cluster has nothing stored as v1alpha1, so
# status.storedVersions is [v1beta1] as after the v0.5.x storage migration).
v1beta1_only() {
  python3 -c '
import json, sys
crd = json.load(sys.stdin)
crd["spec"]["versions"] = [v for v in crd["spec"]["versions"] if v["name"] != "v1alpha1"]
crd["spec"]["conversion"] = {"strategy": "None"}
json.dump(crd, sys.stdout)'
}

install_crds() {
  local f
  for f in "$AS_DIR"/crds/*.yaml; do
    # The CRDs exceed the 256 KiB client-side apply limit: create (or server-side apply).
    if [[ $AS_PROFILE == v1beta1-only ]]; then
      kubectl_ create --dry-run=client -o json -f "$f" 2>>"$W/logs/crds.log" | v1beta1_only | kubectl_ apply --server-side --force-conflicts -f - >>"$W/logs/crds.log" 2>&1 \
        || { cat "$W/logs/crds.log" >&2; die "creating the v1beta1-only CRD from $f failed"; }
    else
      kubectl_ apply --server-side --force-conflicts -f "$f" >>"$W/logs/crds.log" 2>&1 || { cat "$W/logs/crds.log" >&2; die "creating CRD $f failed"; }
    fi
  done
  if [[ $AS_PROFILE == v1beta1 ]]; then
    # Point the conversion at the loopback webhook, trusting our CA.
    local ca; ca=$(base64 -w0 "$W/pki/ca.crt")
    local patch="{\"spec\":{\"conversion\":{\"strategy\":\"Webhook\",\"webhook\":{\"conversionReviewVersions\":[\"v1\",\"v1beta1\"],\"clientConfig\":{\"service\":null,\"url\":\"https://127.0.0.1:$WEBHOOK_PORT/convert\",\"caBundle\":\"$ca\"}}}}}"
    for f in sandboxes.agents.x-k8s.io sandboxtemplates.extensions.agents.x-k8s.io sandboxclaims.extensions.agents.x-k8s.io sandboxwarmpools.extensions.agents.x-k8s.io; do
      kubectl_ patch crd "$f" --type=merge -p "$patch" >>"$W/logs/crds.log" 2>&1 || { cat "$W/logs/crds.log" >&2; die "patching conversion of $f failed"; }
    done
  fi
  kubectl_ wait --for=condition=Established --timeout=60s crd --all >>"$W/logs/crds.log" 2>&1 || die "CRDs not established"
}

# With TESTENV_SLOW_POD_IMAGE (and TESTENV_SLOW_POD_READY_MS, default 3000),
# pods whose first container runs that image become Ready only after the
# delay, as a real node pulling and starting it would; all other pods stay
# instant. The benchmarks use it to show what a warm pool saves.
slow_pod_stages() {
  local file=$1 image=$TESTENV_SLOW_POD_IMAGE ms=${TESTENV_SLOW_POD_READY_MS:-3000}
  [[ $ms =~ ^[0-9]+$ ]] || die "TESTENV_SLOW_POD_READY_MS must be milliseconds, got $ms"
  [[ $image != *"'"* ]] || die "TESTENV_SLOW_POD_IMAGE must not contain quotes"
  local match="    - key: '.spec.containers.[0].image'"
  sed "s|^    matchExpressions:\$|&\n$match\n      operator: 'NotIn'\n      values:\n      - '$image'|" "$file"
  printf '\n---\n'
  sed -e "s|^  name: pod-ready\$|  name: pod-ready-slow|" \
    -e "s|^spec:\$|spec:\n  delay:\n    durationMilliseconds: $ms|" \
    -e "s|^    matchExpressions:\$|&\n$match\n      operator: 'In'\n      values:\n      - '$image'|" "$file"
  printf '\n---\n'
}

# Images whose pods the simulated node reports as a kubelet would when it
# cannot start them (the container waits with this reason, the pod stays
# Pending): what waitForReady's fail-fast tests use. A real node is issue
# 13's; these are the same statuses without a registry.
FAILING_IMAGES=(
  'registry.invalid/agent-sandbox-testenv/unpullable:1=ImagePullBackOff=Back-off pulling image'
  'Invalid/Image:Name=InvalidImageName=couldn'"'"'t parse image name: invalid reference format'
)

failing_image_stages() {
  local entry image reason message
  for entry in "${FAILING_IMAGES[@]}"; do
    IFS='=' read -r image reason message <<<"$entry"
    cat <<EOF
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-$(tr 'A-Z' 'a-z' <<<"$reason")
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Pending'
    - key: '.spec.containers.[0].image'
      operator: 'In'
      values:
      - '$image'
    - key: '.status.containerStatuses.[0].state.waiting.reason'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      conditions:
      - type: Ready
        status: "False"
        reason: ContainersNotReady
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        state:
          waiting:
            reason: $reason
            message: "$message"
      {{ end }}

---
EOF
  done
}

write_kwok_config() {
  local s=$BUILD_DIR/kwok-stage f ready=$W/pod-ready.yaml image not_failing
  : >"$W/kwok.yaml"
  # pod-ready leaves the failing images alone.
  not_failing="    - key: '.spec.containers.[0].image'\n      operator: 'NotIn'\n      values:"
  for image in "${FAILING_IMAGES[@]}"; do not_failing+="\n      - '${image%%=*}'"; done
  sed "s|^    matchExpressions:\$|&\n$not_failing|" "$s/pod/fast/pod-ready.yaml" >"$ready"
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [[ -f "$s/$f" ]] || die "kwok stage $f missing from $s"
    if [[ $f == pod/fast/pod-ready.yaml ]]; then
      if [[ -n ${TESTENV_SLOW_POD_IMAGE:-} ]]; then
        slow_pod_stages "$ready" >>"$W/kwok.yaml"
      else
        { cat "$ready"; printf '\n---\n'; } >>"$W/kwok.yaml"
      fi
      continue
    fi
    { cat "$s/$f"; printf '\n---\n'; } >>"$W/kwok.yaml"
  done
  failing_image_stages >>"$W/kwok.yaml"
  # No ClusterExec rule: the node's kubelet port is node-exec-server's (see
  # node-exec-server/main.go for why kwok's local exec is not used).
}

create_node() {
  kubectl_ apply -f - >>"$W/logs/node.log" 2>&1 <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
}

probe_sandbox_ready() {
  [[ "$(kubectl_ get sandbox.agents.x-k8s.io testenv-probe -n testenv-system -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

cmd_up() {
  if [[ -f "$W/env" ]]; then
    if cmd_status >/dev/null 2>&1; then
      say "instance $INSTANCE ($AGENT_SANDBOX_VERSION) already running; reusing it"
      echo "$W/kubeconfig"; return 0
    fi
    say "instance $INSTANCE has stale state; cleaning it up first"
    cmd_down >/dev/null 2>&1 || true
  fi
  if [[ -z ${NO_BUILD:-} ]]; then "$TESTENV_DIR/build"; fi
  [[ -x "$BIN/kube-apiserver" && -x "$AS_DIR/agent-sandbox-controller" ]] || die "binaries missing in $BIN; run k8s/testenv/build"

  mkdir -p "$W/pids" "$W/logs"
  : >"$W/env"
  allocate_ports
  source "$W/env"
  make_pki
  write_credentials
  write_audit_policy
  printf 'ADMIN_TOKEN=%s\nAGENT_SANDBOX_VERSION=%s\nAUDIT_LOG=%s\n' "$ADMIN_TOKEN" "$AGENT_SANDBOX_VERSION" "$W/audit.log" >>"$W/env"
  say "instance $INSTANCE ($AGENT_SANDBOX_VERSION, $AS_PROFILE) in $W; apiserver https://127.0.0.1:$API_PORT"

  start etcd "$BIN/etcd" --name=testenv --data-dir="$W/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="testenv=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync=true \
    --quota-backend-bytes=2147483648 --log-level=warn ${TESTENV_ETCD_EXTRA_ARGS:-}
  wait_for etcd 60 curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/readyz"

  start kube-apiserver "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
    --tls-cert-file="$W/pki/apiserver.crt" --tls-private-key-file="$W/pki/apiserver.key" --client-ca-file="$W/pki/ca.crt" \
    --token-auth-file="$W/tokens.csv" --authorization-mode=Node,RBAC \
    --kubelet-client-certificate="$W/pki/apiserver-kubelet-client.crt" --kubelet-client-key="$W/pki/apiserver-kubelet-client.key" \
    --enable-admission-plugins=PodNodeSelector,PodTolerationRestriction \
    --service-account-issuer="https://127.0.0.1:$API_PORT" --service-account-key-file="$W/pki/sa.pub" \
    --service-account-signing-key-file="$W/pki/sa.key" --service-cluster-ip-range=10.0.0.0/24 \
    --disable-admission-plugins=ServiceAccount,TaintNodesByCondition --allow-privileged=true \
    --kubelet-preferred-address-types=InternalIP,Hostname --enable-priority-and-fairness=false \
    --endpoint-reconciler-type=none --cert-dir="$W/apiserver-certs" --v=1 \
    --audit-policy-file="$W/audit-policy.yaml" --audit-log-path="$W/audit.log" --audit-log-format=json \
    --audit-log-mode=blocking --audit-log-maxsize=50 --audit-log-maxbackup=1 --audit-log-maxage=1
  wait_for kube-apiserver 90 api_ready

  if [[ $AS_PROFILE == v1beta1 ]]; then
    start conversion-webhook "$AS_DIR/agent-sandbox-conversion-webhook" --listen="127.0.0.1:$WEBHOOK_PORT" \
      --tls-cert-file="$W/pki/loopback.crt" --tls-key-file="$W/pki/loopback.key"
    wait_for conversion-webhook 30 curl -sf --max-time 2 --cacert "$W/pki/ca.crt" "https://127.0.0.1:$WEBHOOK_PORT/healthz"
  fi
  install_crds
  say "CRDs established"

  start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$W/kubeconfig" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics \
    --controllers=namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller \
    --service-account-private-key-file="$W/pki/sa.key" --root-ca-file="$W/pki/ca.crt" --use-service-account-credentials=false
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$W/kubeconfig" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics
  wait_for kube-controller-manager 60 curl -skf --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz"
  wait_for kube-scheduler 60 curl -skf --max-time 2 "https://127.0.0.1:$SCHED_PORT/healthz"

  mkdir -p "$W/exec"
  start node-exec-server "$BIN/node-exec-server" --listen="127.0.0.1:$EXEC_PORT" --work-dir="$W/exec" \
    --apiserver="https://127.0.0.1:$API_PORT" --token-file="$W/admin.token" --ca-file="$W/pki/ca.crt" \
    --tls-cert-file="$W/pki/loopback.crt" --tls-key-file="$W/pki/loopback.key"
  wait_for node-exec-server 30 curl -sf --max-time 2 --cacert "$W/pki/ca.crt" "https://127.0.0.1:$EXEC_PORT/healthz"
  write_kwok_config
  # --node-port is what the node advertises as its kubelet port: exec goes to node-exec-server.
  # Only the node annotated as fake: a real node beside it is its kubelet's.
  start kwok "$BIN/kwok" --kubeconfig="$W/kubeconfig" --config="$W/kwok.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip=127.0.0.1 --node-name=localhost --node-port="$EXEC_PORT" --server-address="127.0.0.1:$KWOK_PORT" \
    --cidr=10.244.0.0/16
  create_node
  wait_for "kwok node" 60 kubectl_ wait --for=condition=Ready --timeout=1s node/kwok-node-0
  if real_node_enabled; then echo REAL_NODE=1 >>"$W/env"; start_real_node; start_network_policy; fi

  local as_args=(--kubeconfig="$W/kubeconfig" --leader-elect=false --extensions --metrics-bind-address=0 --health-probe-bind-address=0)
  [[ $AS_PROFILE == v1beta1* ]] && as_args+=(--enable-webhook=false)
  start agent-sandbox-controller "$AS_DIR/agent-sandbox-controller" "${as_args[@]}"

  # The controller's namespace (k8s/manifests/rbac.yaml grants reading its
  # Deployment there). The controller itself runs here as a process.
  kubectl_ create namespace agent-sandbox-system >>"$W/logs/manifests.log" 2>&1 || true

  # The manifests speak v1beta1; controllers before v0.5 serve v1alpha1 only
  # (same fields for the template and the pool).
  local manifests=$TESTENV_DIR/../manifests
  if [[ $AS_PROFILE == v1alpha1 ]]; then
    mkdir -p "$W/manifests"
    for f in "$manifests"/*.yaml; do sed 's#agents.x-k8s.io/v1beta1#agents.x-k8s.io/v1alpha1#' "$f" >"$W/manifests/${f##*/}"; done
    manifests=$W/manifests
  fi
  kubectl_ apply -f "$manifests/" >>"$W/logs/manifests.log" 2>&1 || { cat "$W/logs/manifests.log" >&2; die "applying k8s/manifests failed"; }
  say "k8s/manifests applied"

  # The controller is ready when it takes a Sandbox to Ready=True (the probe
  # is written as v1alpha1 where that is served: on v0.5.6 it also exercises
  # the conversion webhook).
  local probe_version=v1alpha1
  [[ $AS_PROFILE == v1beta1-only ]] && probe_version=v1beta1
  kubectl_ apply -f - >>"$W/logs/manifests.log" 2>&1 <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: testenv-system}
---
apiVersion: agents.x-k8s.io/$probe_version
kind: Sandbox
metadata: {name: testenv-probe, namespace: testenv-system}
spec:
  podTemplate:
    spec:
      containers: [{name: sandbox, image: probe}]
EOF
  wait_for agent-sandbox-controller 90 probe_sandbox_ready
  kubectl_ delete sandbox.agents.x-k8s.io testenv-probe -n testenv-system --wait=false >/dev/null 2>&1 || true
  date -u +%FT%TZ >"$W/ready"
  say "audit log (requests at level Metadata): $W/audit.log"
  say "up: export KUBECONFIG=$W/kubeconfig"
  echo "$W/kubeconfig"
}

cmd_down() {
  [[ -d "$W" ]] || { say "instance $INSTANCE ($AGENT_SANDBOX_VERSION) is not running"; return 0; }
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_component "${COMPONENTS[$i]}"; done
  if grep -q '^REAL_NODE=1' "$W/env" 2>/dev/null; then
    REAL_NODE_SUBNET=$(sed -n 's/^REAL_NODE_SUBNET=//p' "$W/env")
    stop_real_node_leftovers
  fi
  if grep -q '^NETWORK_POLICY=1' "$W/env" 2>/dev/null; then cleanup_network_policy; fi
  release_ports
  rm -rf "$W"
  say "instance $INSTANCE ($AGENT_SANDBOX_VERSION) stopped"
}

# Stops one component and starts it again with the same command line (for
# tests of what clients do when, say, the API server restarts).
cmd_restart() {
  local name=${1:-}
  [[ -n $name && -f "$W/cmd/$name" ]] || die "usage: restart COMPONENT (one of: $(ls "$W/cmd" 2>/dev/null | tr '\n' ' '))"
  source "$W/env"
  local argv=()
  mapfile -d '' argv <"$W/cmd/$name"
  stop_component "$name"
  say "restarting $name"
  start "$name" "${argv[@]}"
  case "$name" in
    kube-apiserver) wait_for kube-apiserver 90 api_ready ;;
    etcd) wait_for etcd 60 curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/readyz" ;;
  esac
}

cmd_status() {
  [[ -f "$W/env" ]] || { echo "instance $INSTANCE ($AGENT_SANDBOX_VERSION): not running"; return 1; }
  source "$W/env"
  local ok=0 name
  for name in "${COMPONENTS[@]}"; do
    [[ -f "$W/pids/$name.pid" ]] || continue
    if pid_alive "$name"; then echo "$name: running (pid $(cat "$W/pids/$name.pid"))"; else echo "$name: DEAD"; ok=1; fi
  done
  if api_ready >/dev/null 2>&1; then echo "kube-apiserver: ready at https://127.0.0.1:$API_PORT"; else echo "kube-apiserver: not ready"; ok=1; fi
  [[ -f "$W/ready" ]] || { echo "start-up: incomplete"; ok=1; }
  echo "kubeconfig: $W/kubeconfig"
  echo "audit log: $W/audit.log"
  return $ok
}

cmd_logs() {
  [[ -d "$W/logs" ]] || die "instance $INSTANCE ($AGENT_SANDBOX_VERSION) is not running"
  if [[ -n ${1:-} ]]; then tail -n "${LINES_:-200}" "$W/logs/$1.log"; else tail_logs 30; fi
}

case "$cmd" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) cmd_logs "${COMPONENT:-}" ;;
  restart) cmd_restart "${COMPONENT:-}" ;;
  kubeconfig) [[ -f "$W/kubeconfig" ]] && echo "$W/kubeconfig" || die "instance $INSTANCE is not running" ;;
  help|*) sed -n '2,8p' "$0"; echo "commands: up down status logs restart kubeconfig (also as k8s/testenv/<command>)" ;;
esac
