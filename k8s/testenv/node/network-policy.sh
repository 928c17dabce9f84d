# NetworkPolicy enforcement on the real node (sourced by testenv.sh): kube-router
# as a network policy controller only (no routing, no service proxy, no CNI,
# no health or metrics port), so the provider's deny-all policies really
# block a sandbox's traffic. It keeps its rules in the host's iptables filter
# table (chains KUBE-ROUTER-*, KUBE-POD-FW-*, KUBE-NWPLCY-* and ipsets
# KUBE-SRC-*/KUBE-DST-*, matched on the real node's pod addresses): the pods'
# bridge is in the host's network namespace, and bridged traffic goes through
# iptables (net.bridge.bridge-nf-call-iptables=1). One per host: a second
# real node with policies would share those chains, so it is refused.

network_policy_chains() { iptables -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE-ROUTER-|KUBE-POD-FW-|KUBE-NWPLCY-)/ { print $2 }'; }

start_network_policy() {
  command -v iptables >/dev/null && command -v ipset >/dev/null \
    || die "NetworkPolicy on the real node needs iptables and ipset (scripts/env.sh ensure_node_packages installs them)"
  [[ $(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null) == 1 ]] \
    || die "bridged pod traffic does not pass iptables here (net.bridge.bridge-nf-call-iptables is not 1; load br_netfilter): NetworkPolicies could not be enforced"
  if [[ -n $(network_policy_chains) ]]; then
    die "kube-router chains are already in this host's iptables (another real node with NetworkPolicy, or a leftover): stop it, or clean up with k8s/testenv/down of that instance"
  fi
  echo NETWORK_POLICY=1 >>"$W/env"
  start kube-router "$BIN/kube-router" --kubeconfig="$W/kubeconfig" --hostname-override="$REAL_NODE_NAME" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --health-port=0 --metrics-port=0 --enable-ipv4=true --enable-ipv6=false \
    --service-cluster-ip-range=10.0.0.0/24 --v=1
  wait_for kube-router 60 bash -c 'iptables -S KUBE-ROUTER-FORWARD >/dev/null 2>&1'
}

# After kube-router stopped (it leaves its rules behind): its jumps from the
# built-in chains, its chains, its ipsets.
cleanup_network_policy() {
  local builtin chain set
  for builtin in INPUT FORWARD OUTPUT; do
    iptables -L "$builtin" -n --line-numbers 2>/dev/null | awk '$2 ~ /^KUBE-ROUTER-/ { print $1 }' | sort -rn \
      | while read -r n; do iptables -D "$builtin" "$n" || true; done
  done
  for chain in $(network_policy_chains); do iptables -F "$chain" || true; done
  for chain in $(network_policy_chains); do iptables -X "$chain" || true; done
  for set in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-SRC-|KUBE-DST-|kube-router-)'); do ipset destroy "$set" 2>/dev/null || true; done
  return 0
}
