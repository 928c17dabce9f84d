// Create-to-Ready as the caller sees it: from create() to waitForReady()
// returning. Ours follows the Sandbox with a watch; the original polled a
// GET every 1000 ms. One Sandbox after the other.
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { sandboxManifest } from '../lib/cluster.mjs';
import { cpuMetrics, metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { bySide, gather } from '../lib/rounds.mjs';

export const id = 'ready';
const self = fileURLToPath(import.meta.url);

export async function measure({ side, kubeconfig, namespace, n, round }, _notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace });
  await d.list({ limit: 1 }); // connection up, as in a running application
  const ms = [];
  await mark('start');
  for (let i = 0; i < n; i++) {
    const name = `${side}-${round}-${i}`;
    const t0 = performance.now();
    await d.create(sandboxManifest(name));
    await d.waitForReady(name, 60_000);
    ms.push(performance.now() - t0);
    await d.remove(name);
  }
  await mark('end');
  return { ms, n };
}

export async function run(ctx) {
  const n = ctx.quick ? 6 : 30;
  const rounds = 2;
  const namespace = await ctx.cluster.createNamespace('ready');
  try {
    const res = await bySide(rounds, (side, round) =>
      runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, n: n / rounds, round }, { timeoutMs: 60_000 * (n / rounds) + 30_000, label: `ready-${side}` }),
    );
    ctx.counts.ready = { sandboxesPerSide: n };
    return [
      metric({
        row: 'ready',
        label: 'create-to-Ready',
        unit: 'ms',
        ours: gather(res.ours, 'ms'),
        theirs: gather(res.theirs, 'ms'),
        goal: { op: '<=', value: 0.3 },
        note: `${n} Sandboxes per side, sequential; ours: waitForReady (watch), theirs: GET every 1000 ms until Ready=True`,
      }),
      ...cpuMetrics({ row: 'ready', label: 'create+wait+delete', res, ops: (r) => r.n, unitOp: 'Sandbox' }),
    ];
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
