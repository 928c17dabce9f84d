# The cgroup hierarchies the real node's subtree lives in (sourced by
# run-node and real-node.sh): every v1 hierarchy plus the cgroup2 one beside
# them on a hybrid host (this one), or the one cgroup2 root on a pure v2 host.
cgroup_hierarchies() {
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then echo /sys/fs/cgroup/; return; fi
  local h
  for h in /sys/fs/cgroup/*/; do [[ -f ${h}cgroup.procs ]] && echo "$h"; done
  return 0
}
