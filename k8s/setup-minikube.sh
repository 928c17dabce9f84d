#!/usr/bin/env bash
# Sets up a minikube cluster for AgentPane's sandboxes: gVisor, the upstream
# agent-sandbox controller (a pinned release), and k8s/manifests. Safe to run
# again: every step checks first and only does what is missing.
set -euo pipefail

usage() {
  cat <<EOF
Usage: k8s/setup-minikube.sh [options]

Starts (or reuses) a minikube cluster and installs what AgentPane's sandboxes
need: the gVisor addon, the agent-sandbox controller and CRDs from a pinned
upstream release, and the manifests in k8s/manifests (namespace with the
restricted Pod Security level, gVisor RuntimeClass, LimitRange, the
agentpane-default SandboxTemplate and its warm pool).

Options:
  --profile NAME     minikube profile (default: \$MINIKUBE_PROFILE or minikube)
  --cpus N           CPUs for a new cluster (default: \$MINIKUBE_CPUS or 2)
  --memory MB        memory for a new cluster (default: \$MINIKUBE_MEMORY or 4096)
  --version vX.Y.Z   agent-sandbox release (default: \$AGENT_SANDBOX_VERSION or $DEFAULT_VERSION)
  --skip-gvisor      do not enable the gVisor addon (also: SKIP_GVISOR=1); the
                     agentpane-default template asks for runtimeClassName gvisor,
                     so its pods will not start without it
  --dry-run          print the commands that would change something, change nothing
  -h, --help         this text

Release manifests are downloaded from GitHub and their SHA-256 printed; set
AGENT_SANDBOX_MANIFEST_SHA256 and AGENT_SANDBOX_EXTENSIONS_SHA256 to refuse
anything else.

Versions: v1.x (default) serves only the v1beta1 API. Upgrading a cluster
from v0.5.x first migrates the stored objects to v1beta1 and drops v1alpha1
from each CRD's status.storedVersions (the v1.x CRDs are refused otherwise);
a cluster on v0.4.x or older must go to v0.5.6 first. v0.5.6 and v0.4.6 stay
installable with --version.
EOF
}

DEFAULT_VERSION=v1.0.12
CRDS=(sandboxes.agents.x-k8s.io sandboxtemplates.extensions.agents.x-k8s.io sandboxclaims.extensions.agents.x-k8s.io sandboxwarmpools.extensions.agents.x-k8s.io)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE=${MINIKUBE_PROFILE:-minikube}
CPUS=${MINIKUBE_CPUS:-2}
MEMORY=${MINIKUBE_MEMORY:-4096}
VERSION=${AGENT_SANDBOX_VERSION:-$DEFAULT_VERSION}
SKIP_GVISOR=${SKIP_GVISOR:-}
DRY_RUN=
CONTROLLER_NS=agent-sandbox-system

while (($#)); do
  case $1 in
    --profile) PROFILE=${2:?--profile needs a name}; shift 2 ;;
    --cpus) CPUS=${2:?--cpus needs a number}; shift 2 ;;
    --memory) MEMORY=${2:?--memory needs megabytes}; shift 2 ;;
    --version) VERSION=${2:?--version needs a release tag}; shift 2 ;;
    --skip-gvisor) SKIP_GVISOR=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "setup-minikube: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "setup-minikube: --version must look like v0.5.6, got $VERSION" >&2; exit 2; }
[[ $PROFILE =~ ^[a-zA-Z0-9][a-zA-Z0-9._-]*$ ]] || { echo "setup-minikube: --profile must be letters, digits, '.', '_' or '-', got $PROFILE" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf '[setup-minikube] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# run CMD...: runs a command that changes the cluster (printed only with --dry-run).
run() {
  if [[ -n $DRY_RUN ]]; then printf '[dry-run] %s\n' "$*"; else "$@"; fi
}
kc() { kubectl --context "$PROFILE" "$@"; }
# rewrite_all CRD: every object of the CRD read and written back (stored
# again in the storage version). A pipeline of argv, no shell text built.
rewrite_all() {
  if [[ -n $DRY_RUN ]]; then
    printf "[dry-run] kubectl --context '%s' get %s --all-namespaces -o json | kubectl --context '%s' replace -f -\n" "$PROFILE" "$1" "$PROFILE"
  else
    kc get "$1" --all-namespaces -o json | kc replace -f -
  fi
}
# at_least A B: version A is B or newer.
at_least() { [[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1) == "$2" ]]; }

# 1. Tools.
for tool in minikube kubectl curl sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is not installed (https://minikube.sigs.k8s.io/docs/start/, https://kubernetes.io/docs/tasks/tools/)"
done

# 2. The cluster. gVisor needs the containerd runtime.
if minikube status -p "$PROFILE" --format '{{.APIServer}}' 2>/dev/null | grep -qx Running; then
  say "minikube profile $PROFILE is running"
else
  say "starting minikube profile $PROFILE (${CPUS} CPUs, ${MEMORY} MB)"
  run minikube start -p "$PROFILE" --cpus "$CPUS" --memory "$MEMORY" --container-runtime=containerd
fi
if [[ -z $SKIP_GVISOR ]]; then
  if minikube addons list -p "$PROFILE" 2>/dev/null | grep -E '^\| *gvisor ' | grep -q enabled; then
    say "gVisor addon already enabled"
  else
    say "enabling the gVisor addon"
    run minikube addons enable gvisor -p "$PROFILE"
  fi
else
  say "gVisor skipped: pods of the agentpane-default template (runtimeClassName gvisor) will not start"
fi

# 3. The controller and CRDs from the pinned release.
installed_version() {
  kc -n "$CONTROLLER_NS" get deployment,statefulset -l app.kubernetes.io/name=agent-sandbox-controller \
    -o jsonpath='{.items[0].metadata.labels.app\.kubernetes\.io/version}' 2>/dev/null ||
    true
}
controller_image_tag() {
  kc -n "$CONTROLLER_NS" get deployment/agent-sandbox-controller \
    -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null | sed -n 's/.*://p' || true
}
have=$(installed_version)
[[ -n $have ]] || have=$(controller_image_tag)
if kc get crd sandboxes.agents.x-k8s.io >/dev/null 2>&1 && [[ $have == "$VERSION" ]]; then
  say "agent-sandbox $VERSION already installed"
else
  if at_least "$VERSION" v1.0.0 && [[ -n $have ]] && ! at_least "$have" v1.0.0; then
    at_least "$have" v0.5.0 || die "agent-sandbox $have is installed: v1.x needs the objects stored as v1beta1, which v0.4.x cannot do; install v0.5.6 first (--version v0.5.6), then $VERSION"
    # v1.x serves only v1beta1; Kubernetes refuses CRDs that drop a version
    # still listed in status.storedVersions. Rewrite every object (stored as
    # v1beta1 by v0.5.x, the storage version), then record that.
    say "migrating stored objects to v1beta1 before $VERSION (from $have)"
    for crd in "${CRDS[@]}"; do
      rewrite_all "$crd"
      run kubectl --context "$PROFILE" patch crd "$crd" --subresource=status --type=merge -p '{"status":{"storedVersions":["v1beta1"]}}'
    done
  fi
  say "installing agent-sandbox $VERSION (found: ${have:-none})"
  tmp=$work
  base=https://github.com/kubernetes-sigs/agent-sandbox/releases/download/$VERSION
  for file in manifest extensions; do
    curl -fsSL --retry 3 -o "$tmp/$file.yaml" "$base/$file.yaml" || die "could not download $base/$file.yaml"
    sum=$(sha256sum "$tmp/$file.yaml" | cut -c1-64)
    say "  $file.yaml sha256 $sum"
    want_var=AGENT_SANDBOX_$(tr a-z A-Z <<<"$file")_SHA256
    want=${!want_var:-}
    [[ -z $want || $want == "$sum" ]] || die "$file.yaml: sha256 $sum, expected $want ($want_var)"
    # Server-side apply: the CRDs are too large for client-side apply's annotation.
    run kubectl --context "$PROFILE" apply --server-side --force-conflicts -f "$tmp/$file.yaml"
  done
fi
if [[ -z $DRY_RUN ]]; then
  kc wait --for=condition=Established --timeout=120s "${CRDS[@]/#/crd/}" >/dev/null
  say "waiting for the controller in $CONTROLLER_NS"
  if kc -n "$CONTROLLER_NS" get deployment/agent-sandbox-controller >/dev/null 2>&1; then
    kc -n "$CONTROLLER_NS" rollout status deployment/agent-sandbox-controller --timeout=300s
  elif kc -n "$CONTROLLER_NS" get statefulset/agent-sandbox-controller >/dev/null 2>&1; then
    kc -n "$CONTROLLER_NS" rollout status statefulset/agent-sandbox-controller --timeout=300s
  else
    die "no agent-sandbox-controller Deployment or StatefulSet in $CONTROLLER_NS"
  fi
fi

# 4. Our manifests (file names give the order; apply is idempotent). They
# speak v1beta1; releases before v0.5 serve v1alpha1 only (same fields).
say "applying k8s/manifests"
manifests=$ROOT/k8s/manifests
if ! at_least "$VERSION" v0.5.0; then
  mkdir -p "$work/manifests"
  for f in "$manifests"/*.yaml; do sed 's#agents.x-k8s.io/v1beta1#agents.x-k8s.io/v1alpha1#' "$f" >"$work/manifests/${f##*/}"; done
  manifests=$work/manifests
fi
run kubectl --context "$PROFILE" apply -f "$manifests/"

# 5. Summary.
if [[ -z $DRY_RUN ]]; then
  say "ready:"
  kc get runtimeclass gvisor --ignore-not-found
  kc -n agentpane-sandboxes get sandboxtemplates,sandboxwarmpools,limitrange
  say "AgentPane: use context '$PROFILE' (kubectl config use-context $PROFILE) and namespace agentpane-sandboxes"
fi
