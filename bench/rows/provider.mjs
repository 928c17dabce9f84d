// Provider create(), as AgentPane calls it: cold (a new Sandbox, waited
// for by watch) and from a warm pool (a claim on pre-started Sandboxes).
// Ours only: client-node has no provider (compare cold with create-to-Ready).
// The warm pool is the provider's own (initWarmPool()) in a fresh namespace,
// on a copy of the agentpane-default template; before each warm create the
// pool is refilled (untimed).
import { fileURLToPath } from 'node:url';
import { metric, unavailable } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';

export const id = 'provider';
const self = fileURLToPath(import.meta.url);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function measure({ kubeconfig, namespace, mode, n, image, poolSize }) {
  const sdk = await import('../../index.js');
  if (typeof sdk.createAgentSandboxProvider !== 'function') return { available: false };
  const provider = sdk.createAgentSandboxProvider({
    namespace,
    kubeConfigPath: kubeconfig,
    enableWarmPool: mode === 'warm',
    warmPoolSize: poolSize,
    readyTimeoutSeconds: 60,
  });
  // A claim that fails falls back to a cold Sandbox; the core logs it.
  let fallbacks = 0;
  sdk.setLogger((r) => (/warm pool/.test(r.message) ? fallbacks++ : undefined), { level: 'warn' });
  const poolFull = async () => {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const pool = await provider.client.getWarmPool('agentpane-warm-pool').catch(() => undefined);
      if ((pool?.status?.readyReplicas ?? 0) >= poolSize) return;
      await sleep(200);
    }
    throw new Error(`warm pool not refilled to ${poolSize} within 90 s`);
  };
  if (mode === 'warm') await provider.initWarmPool();
  const ms = [];
  for (let i = -1; i < n; i++) {
    if (mode === 'warm') await poolFull();
    const t0 = performance.now();
    const instance = await provider.create({
      codespaceId: `bench-${mode}-${i + 1}`,
      codespacePath: '', // ignored by the Kubernetes provider (non-empty only adds a warning)
      image,
      memoryMb: 512,
      cpuCores: 1,
      idleTimeoutMinutes: 30,
      volumeMounts: [],
    });
    const elapsed = performance.now() - t0;
    if (i >= 0) ms.push(elapsed); // the first create is a warm-up
    await instance.stop();
  }
  sdk.setLogger(null);
  return { available: true, ms, fallbacks };
}

export async function run(ctx) {
  const n = ctx.quick ? 3 : 10;
  const poolSize = 3;
  const cold = await ctx.cluster.createNamespace('provider-cold');
  const warm = await ctx.cluster.createNamespace('provider-warm');
  try {
    // The pool's template, copied from the namespace the manifests set up.
    const image = await ctx.cluster.copyPoolTemplate(warm);
    const args = { kubeconfig: ctx.kubeconfig, n, poolSize };
    // Same image both ways: under scripts/bench.sh the local node takes
    // BENCH_POD_START_MS to start a pod of it, as a real node pulling and
    // starting the agent image would (busybox and every other image start at once).
    const c = await runChild(self, 'measure', { ...args, namespace: cold, mode: 'cold', image }, { timeoutMs: 70_000 * (n + 1), label: 'provider-cold' });
    if (!c.available) {
      return ['cold', 'warm pool'].map((m) => unavailable({ row: 'provider', label: `create(), ${m}`, reason: 'createAgentSandboxProvider is not exported by the package yet' }));
    }
    const w = await runChild(self, 'measure', { ...args, namespace: warm, mode: 'warm', image }, { timeoutMs: 160_000 * (n + 1), label: 'provider-warm' });
    const podStartMs = Number(process.env.TESTENV_SLOW_POD_READY_MS ?? 0) || 0;
    ctx.counts.provider = { createsPerMode: n, warmPoolSize: poolSize, warmFallbacksToCold: w.fallbacks, image, podStartMs };
    return [
      metric({
        row: 'provider',
        label: 'create(), cold',
        unit: 'ms',
        ours: c.ms,
        note: `${n} creates (+1 untimed) of ${image}, pod start ${podStartMs} ms, each stopped after; no client-node counterpart (see create-to-Ready)`,
      }),
      metric({
        row: 'provider',
        label: 'create(), warm pool',
        unit: 'ms',
        ours: w.ms,
        note: `${n} creates (+1 untimed) claiming from a pool of ${poolSize}, refilled before each${w.fallbacks ? `; ${w.fallbacks} fell back to cold` : ''}`,
      }),
    ];
  } finally {
    await ctx.cluster.deleteNamespace(cold);
    await ctx.cluster.deleteNamespace(warm);
  }
}
