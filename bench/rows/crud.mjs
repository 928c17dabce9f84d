// create, get and delete of a Sandbox, one after the other, N times; each
// call timed on its own. kubectl: `kubectl get sandbox NAME -o json` (a
// process per call, so its time includes kubectl's start).
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { sandboxManifest } from '../lib/cluster.mjs';
import { cpuMetrics, lessStartup, metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { bySide, gather, withKubectl } from '../lib/rounds.mjs';

export const id = 'crud';
const self = fileURLToPath(import.meta.url);
const WARMUP = 5;

/** Child: `n` create/get/delete cycles after a few untimed ones. */
export async function measure({ side, kubeconfig, namespace, n, round, apiVersion = 'v1alpha1' }, _notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace, apiVersion });
  const out = { create: [], get: [], delete: [] };
  for (let i = -WARMUP; i < n; i++) {
    if (i === 0) await mark('start');
    const name = `${side}-${apiVersion}-${round}-${i < 0 ? `w${-i}` : i}`;
    const t0 = performance.now();
    await d.create(sandboxManifest(name, { version: apiVersion }));
    const t1 = performance.now();
    const got = await d.get(name);
    const t2 = performance.now();
    await d.remove(name);
    const t3 = performance.now();
    if (got?.metadata?.name !== name) throw new Error(`get returned ${got?.metadata?.name}`);
    if (i < 0) continue;
    out.create.push(t1 - t0);
    out.get.push(t2 - t1);
    out.delete.push(t3 - t2);
  }
  await mark('end');
  out.cycles = n;
  return out;
}

export async function run(ctx) {
  const n = ctx.quick ? 30 : 200;
  const nk = ctx.quick ? 10 : 50;
  const rounds = 2;
  const namespace = await ctx.cluster.createNamespace('crud');
  try {
    const kargs = ['get', 'sandboxes.v1alpha1.agents.x-k8s.io', 'kubectl-target', '-n', namespace, '-o', 'json'];
    if (ctx.kubectl) {
      await ctx.cluster.createSandbox(namespace, sandboxManifest('kubectl-target'));
      await ctx.kubectl(kargs); // discovery cache
    }
    const res = await withKubectl(rounds, {
      side: (side, round) => runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, n: n / rounds, round }, { timeoutMs: 300_000, label: `crud-${side}` }),
      kubectl: ctx.kubectl && (() => ctx.kubectlTimes(kargs, nk / rounds)),
      start: ctx.kubectl && (() => ctx.kubectlStart(nk / rounds)),
    });
    // The same at the storage version (v1beta1): no conversion webhook call.
    const beta = await bySide(rounds, (side, round) =>
      runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, n: n / rounds, round, apiVersion: 'v1beta1' }, { timeoutMs: 300_000, label: `crud-${side}` }),
    );
    const kget = lessStartup(res.kubectl, res.start);
    ctx.counts.crud = { cycles: n, warmupPerChild: WARMUP, kubectlGets: ctx.kubectl ? nk : 0 };
    const note = `${n} sequential cycles per side in ${rounds} alternating children (+${WARMUP} untimed each)`;
    return [...['create', 'get', 'delete'].map((op) =>
      metric({
        row: 'crud',
        label: `${op} Sandbox`,
        unit: 'ms',
        ours: gather(res.ours, op),
        theirs: gather(res.theirs, op),
        kubectl: op === 'get' ? kget.samples : undefined,
        note: op === 'create' ? note : op === 'get' && ctx.kubectl ? `${kget.note}; kubectl get -o json` : undefined,
        extra: op === 'get' && ctx.kubectl ? { kubectlRaw: res.kubectl, kubectlStart: res.start } : undefined,
      }),
    ), ...cpuMetrics({ row: 'crud', label: 'create+get+delete', res, ops: (r) => r.cycles, unitOp: 'cycle' }),
    ...['create', 'get', 'delete'].map((op) =>
      metric({ row: 'crud', label: `${op} Sandbox [v1beta1, no webhook]`, unit: 'ms', ours: gather(beta.ours, op), theirs: gather(beta.theirs, op), note: op === 'create' ? 'both sides at the storage version v1beta1 (no conversion webhook); same counts' : undefined }),
    ),
    ...cpuMetrics({ row: 'crud', label: 'create+get+delete [v1beta1]', res: beta, ops: (r) => r.cycles, unitOp: 'cycle' })];
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
