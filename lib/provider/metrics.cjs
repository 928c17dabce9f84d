'use strict';
// Sandbox metrics: metrics.k8s.io PodMetrics when the cluster serves them,
// else the container's own cgroup (v2 or v1) and /proc/net/dev read through
// one exec. `source` says which answered; unknown values are 0, and it
// never throws.

const { CustomResourceCrud } = require('../crud.cjs');

const SANDBOX_DEFAULT_MEMORY_MB = 4096;

/** Kubernetes quantity to a number (cores for CPU, bytes for memory). */
function parseQuantity(q) {
  if (q === undefined || q === null) return undefined;
  const m = String(q).trim().match(/^([0-9.]+)([a-zA-Z]*)$/);
  if (!m) return undefined;
  const n = parseFloat(m[1]);
  const scale = {
    '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
    Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  }[m[2]];
  return scale === undefined ? undefined : n * scale;
}

// One exec: two CPU samples 250 ms apart, memory, network, disk.
const PROBE = `
cg=/sys/fs/cgroup
cpu() { if [ -f $cg/cpu.stat ]; then awk '/^usage_usec/{printf "%.0f", $2*1000}' $cg/cpu.stat;
        elif [ -f $cg/cpuacct/cpuacct.usage ]; then cat $cg/cpuacct/cpuacct.usage; fi; }
t1=$(date +%s%N); c1=$(cpu); sleep 0.25; t2=$(date +%s%N); c2=$(cpu)
echo "cpu $c1 $c2 $t1 $t2"
if [ -f $cg/memory.current ]; then echo "mem $(cat $cg/memory.current) $(cat $cg/memory.max)";
elif [ -f $cg/memory/memory.usage_in_bytes ]; then echo "mem $(cat $cg/memory/memory.usage_in_bytes) $(cat $cg/memory/memory.limit_in_bytes)"; fi
echo "cpus $(nproc 2>/dev/null || echo 1)"
awk 'NR>2 { sub(":", " ", $0); split($0, f, " "); if (f[1] != "lo") { rx += f[2]; tx += f[10] } } END { print "net", rx+0, tx+0 }' /proc/net/dev
df -k / 2>/dev/null | awk 'NR==2 { print "disk", $3 }'
`;

function parseProbe(stdout) {
  const out = {};
  for (const line of stdout.split('\n')) {
    const [key, ...values] = line.trim().split(/\s+/);
    if (key) out[key] = values.map(Number);
  }
  return out;
}

async function readMetrics(instance) {
  const { client, namespace, sandboxName } = instance;
  let sandbox;
  try {
    sandbox = await client.getSandbox(sandboxName, namespace);
  } catch (err) {
    console.warn(`[agent-sandbox-sdk] getMetrics(${sandboxName}): ${err.message}`);
    return {
      cpuUsagePercent: 0, memoryUsageMb: 0, memoryLimitMb: 0, diskUsageMb: 0, networkRxBytes: 0, networkTxBytes: 0,
      uptime: Date.now() - instance.getLastActivity().getTime(), source: 'unavailable',
    };
  }
  const podName = sandbox.metadata?.annotations?.['agents.x-k8s.io/pod-name'] || sandboxName;
  const pods = new CustomResourceCrud(client.kubeConfig, { group: '', version: 'v1', plural: 'pods' });
  const pod = await pods.get(namespace, podName).catch(() => undefined);
  const container = pod?.spec?.containers?.find((c) => c.name === 'sandbox') ?? pod?.spec?.containers?.[0];
  const cpuLimit = parseQuantity(container?.resources?.limits?.cpu);
  const memLimitBytes = parseQuantity(container?.resources?.limits?.memory);
  const started = pod?.status?.startTime ?? sandbox.metadata?.creationTimestamp;
  const uptime = started ? Math.max(0, Date.now() - Date.parse(started)) : 0;
  const base = {
    memoryLimitMb: memLimitBytes ? Math.round(memLimitBytes / 1024 ** 2) : SANDBOX_DEFAULT_MEMORY_MB,
    uptime,
  };

  const podMetrics = new CustomResourceCrud(client.kubeConfig, { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods' });
  const fromApi = await podMetrics.get(namespace, podName).catch(() => undefined);
  const usage = fromApi?.containers?.find((c) => c.name === container?.name)?.usage;
  if (usage) {
    const cores = parseQuantity(usage.cpu) ?? 0;
    return {
      ...base,
      cpuUsagePercent: cpuLimit ? (cores / cpuLimit) * 100 : cores * 100,
      memoryUsageMb: Math.round((parseQuantity(usage.memory) ?? 0) / 1024 ** 2),
      diskUsageMb: 0,
      networkRxBytes: 0,
      networkTxBytes: 0,
      source: 'metrics-api',
    };
  }

  try {
    const r = await client.exec({ sandboxName, namespace, command: ['sh', '-c', PROBE], container: 'sandbox', timeoutMs: 15_000 });
    const p = parseProbe(r.stdout);
    const [c1, c2, t1, t2] = p.cpu ?? [];
    const cores = cpuLimit || p.cpus?.[0] || 1;
    const cpuUsagePercent = c2 > c1 && t2 > t1 ? ((c2 - c1) / (t2 - t1) / cores) * 100 : 0;
    const [memUsed, memMax] = p.mem ?? [];
    const cgroupLimit = Number.isFinite(memMax) && memMax < 2 ** 60 ? memMax : undefined;
    return {
      ...base,
      cpuUsagePercent,
      memoryUsageMb: memUsed ? Math.round(memUsed / 1024 ** 2) : 0,
      memoryLimitMb: memLimitBytes ? base.memoryLimitMb : cgroupLimit ? Math.round(cgroupLimit / 1024 ** 2) : base.memoryLimitMb,
      diskUsageMb: p.disk ? Math.round(p.disk[0] / 1024) : 0,
      networkRxBytes: p.net?.[0] ?? 0,
      networkTxBytes: p.net?.[1] ?? 0,
      source: 'cgroup',
    };
  } catch (err) {
    console.warn(`[agent-sandbox-sdk] getMetrics(${sandboxName}): cgroup probe failed: ${err.message}`);
    return { ...base, cpuUsagePercent: 0, memoryUsageMb: 0, diskUsageMb: 0, networkRxBytes: 0, networkTxBytes: 0, source: 'unavailable' };
  }
}

module.exports = { readMetrics, parseQuantity, parseProbe };
