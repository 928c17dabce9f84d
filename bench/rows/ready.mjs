// Create-to-Ready as the caller sees it: from create() to waitForReady()
// returning. Ours follows the Sandbox with a watch; the original polled a
// GET every 1000 ms. One Sandbox after the other. The Sandboxes run the
// slow image (TESTENV_SLOW_POD_IMAGE, which scripts/bench.sh gives the
// cluster: its pods become Ready after BENCH_POD_START_MS, default 3000),
// so the row measures waiting for a pod that takes a while, not the first
// poll against a pod that is Ready at once.
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { sandboxManifest } from '../lib/cluster.mjs';
import { cpuMetrics, metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { bySide, gather } from '../lib/rounds.mjs';

export const id = 'ready';
const self = fileURLToPath(import.meta.url);

export async function measure({ side, kubeconfig, namespace, n, round, image }, _notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace });
  await d.list({ limit: 1 }); // connection up, as in a running application
  const ms = [];
  await mark('start');
  for (let i = 0; i < n; i++) {
    const name = `${side}-${round}-${i}`;
    const t0 = performance.now();
    await d.create(sandboxManifest(name, { image }));
    await d.waitForReady(name, 60_000);
    ms.push(performance.now() - t0);
    await d.remove(name);
  }
  await mark('end');
  return { ms, n };
}

export async function run(ctx) {
  const n = ctx.quick ? 4 : 16;
  const rounds = 2;
  const image = process.env.TESTENV_SLOW_POD_IMAGE || 'srlynch1/agent-sandbox:latest';
  const podStartMs = Number(process.env.TESTENV_SLOW_POD_READY_MS || process.env.BENCH_POD_START_MS || 3000);
  const namespace = await ctx.cluster.createNamespace('ready');
  try {
    const res = await bySide(rounds, (side, round) =>
      runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, n: n / rounds, round, image }, { timeoutMs: 60_000 * (n / rounds) + 30_000, label: `ready-${side}` }),
    );
    const fastest = Math.min(...res.ours.flatMap((r) => r.ms), ...res.theirs.flatMap((r) => r.ms));
    if (fastest < podStartMs * 0.8) ctx.log(`ready: a Sandbox was Ready after ${fastest.toFixed(0)} ms: the cluster was not started with TESTENV_SLOW_POD_IMAGE=${image} (pods are Ready at once; the row then measures client-node's first poll)`);
    ctx.counts.ready = { sandboxesPerSide: n, image, podStartMs, fastestMs: Math.round(fastest) };
    return [
      metric({
        row: 'ready',
        label: 'create-to-Ready',
        unit: 'ms',
        ours: gather(res.ours, 'ms'),
        theirs: gather(res.theirs, 'ms'),
        goal: { op: '<=', value: 0.3 },
        note: `${n} Sandboxes of ${image} per side, sequential, pods Ready after ${podStartMs} ms (slow image of the testenv); ours: waitForReady (watch), theirs: GET every 1000 ms until Ready=True; fastest ${fastest.toFixed(0)} ms`,
      }),
      ...cpuMetrics({ row: 'ready', label: 'create+wait+delete', res, ops: (r) => r.n, unitOp: 'Sandbox' }),
    ];
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
