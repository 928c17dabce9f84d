// Sweep: 1, 10 and 100 watches in one process on the same collection (one
// side per process), while a writer makes changes at 100 per second (see
// watch-rate.mjs). Measured: the process's CPU per event per watcher
// (CPU / (changes x watches)), from the initial state to the last change
// seen by every watch.
import { sweepSeries } from '../lib/chart.mjs';
import { metric } from '../lib/report.mjs';
import { oneRun, setup } from './watch-rate.mjs';
import { bySide } from '../lib/rounds.mjs';

export const id = 'watchers';

export async function run(ctx) {
  const counts = [1, 10, 100];
  const rate = 100;
  const changes = ctx.quick ? 60 : 200;
  const rounds = ctx.quick ? 1 : 3; // quick: a smoke, no intervals
  const { namespace, names } = await setup(ctx, 'watchers');
  try {
    const res = {};
    for (const n of counts) {
      res[n] = await bySide(rounds, (side) => oneRun(ctx, { side, namespace, names, changes, rate, watches: n }));
    }
    ctx.counts.watchers = { watchers: counts, changes, ratePerS: rate, runsPerSide: rounds };
    const cpu = (side, n) => res[n][side].map((x) => x.cpuPerEvent); // events counted over all watches
    const metrics = counts.map((n) =>
      metric({
        row: 'watchers',
        key: `watchers: CPU per event per watcher @${n}`,
        label: `${n} watchers: CPU per event per watcher`,
        unit: 'ms',
        ours: cpu('ours', n),
        theirs: cpu('theirs', n),
        note: `${changes} changes at ${rate}/s, ${rounds} runs per side; process CPU / (events seen by all its watches)`,
        extra: { missed: Object.fromEntries(['ours', 'theirs'].map((s) => [s, res[n][s].map((x) => changes * n - x.events)])) },
      }),
    );
    const series = (name, side) => sweepSeries(name, counts.map((n) => ({ x: n, samples: cpu(side, n) })));
    ctx.sweeps.push({ id: 'watchers', title: 'watch: CPU per event per watcher by watchers in one process', xLabel: 'watches in the process', yLabel: 'CPU ms per event per watcher', logX: true, logY: true, note: `${changes} changes at ${rate}/s`, series: [series('ours', 'ours'), series('client-node', 'theirs')] });
    return metrics;
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
