// Sweep: 10, 100 and 1,000 concurrent idle exec streams in a fresh process
// per side (the idle row's measurement, idle-streams.mjs): RSS per stream
// (growth after GC / streams) at each count. The 100 point is the idle
// row's when it ran in the same run; otherwise it is measured here. RSS
// growth of ours is small enough that GC noise can make it negative (then
// there is no ratio).
import { sweepSeries } from '../lib/chart.mjs';
import { metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { bySide } from '../lib/rounds.mjs';
import { fileURLToPath } from 'node:url';

export const id = 'idle-sweep';
const measurePath = fileURLToPath(new URL('./idle-streams.mjs', import.meta.url));

export async function run(ctx) {
  // Opening slows with the count (per stream ~20 ms at 10, ~100 at 100,
  // ~230 at 300 on a busy 2-CPU machine, the same for both sides: the
  // server's side), so 1,000 streams get one process per side (no interval)
  // and --quick stops at 100.
  const counts = ctx.quick ? [10, 100] : [10, 100, 1000];
  const roundsFor = (n) => (n >= 1000 || ctx.quick ? 1 : 4); // quick: a smoke, no intervals
  const namespace = await ctx.cluster.createNamespace('idle-sweep');
  try {
    const box = await ctx.cluster.readySandbox(namespace);
    const res = {};
    const from = {};
    for (const n of counts) {
      if (ctx.shared.idle?.streams === n) {
        res[n] = ctx.shared.idle.res;
        from[n] = 'idle row';
        continue;
      }
      // 1,000 streams take a while to open: the sleeps outlast it.
      // 1,000 are opened 50 at a time (200 streams: 21 s against 32 s with 10 at a time); the others 10 at a time, as the idle row.
      const args = (side) => ({ side, kubeconfig: ctx.kubeconfig, namespace, sandbox: box.name, streams: n, sleepS: 900, opening: n >= 1000 ? 50 : 10 });
      res[n] = await bySide(roundsFor(n), (side) => runChild(measurePath, 'measure', args(side), { timeoutMs: 900_000, label: `idle-sweep-${side}` }));
      from[n] = 'this row';
    }
    ctx.counts['idle-sweep'] = { streams: counts, childrenPerSide: Object.fromEntries(counts.map((n) => [n, res[n].ours.length])), measuredBy: from };
    const kib = (side, n) => res[n][side].map((r) => (r.settled.rss * 1024) / n);
    const open = (side, n) => res[n][side].map((r) => r.openMs / n);
    const metrics = counts.flatMap((n) => [
      metric({ row: 'idle-sweep', key: `idle-sweep: RSS per stream @${n}`, label: `${n} idle streams: RSS per stream`, unit: 'KiB', ours: kib('ours', n), theirs: kib('theirs', n), note: `RSS growth after GC / ${n}; ${res[n].ours.length} processes per side (${from[n]})` }),
      metric({ row: 'idle-sweep', key: `idle-sweep: open time per stream @${n}`, label: `${n} idle streams: time to open, per stream`, unit: 'ms', ours: open('ours', n), theirs: open('theirs', n), note: `${n >= 1000 ? 50 : 10} opening at a time` }),
    ]);
    const series = (name, side) => sweepSeries(name, counts.map((n) => ({ x: n, samples: kib(side, n) })));
    ctx.sweeps.push({ id: 'idle-sweep', title: 'idle exec streams: RSS per stream (after GC) by count', xLabel: 'streams open in the process', yLabel: 'KiB RSS per stream', logX: true, logY: true, series: [series('ours', 'ours'), series('client-node', 'theirs')] });
    return metrics;
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
