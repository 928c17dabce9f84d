// Sweep: RSS over many sequential execs of `true` (10,000 in a full run),
// both sides, one fresh process each: RSS after GC every `every` execs.
// Drift = (RSS at the end - RSS after the first `base` execs) / RSS after
// the first `base` (base = 1,000 in a full run): growth that the warm-up
// does not explain. Goal for ours: <= 5 %. The two sides' processes run at
// the same time (10,000 execs take minutes each; RSS does not depend on the
// pace), so their wall per exec is under shared load, not a latency figure.
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { sweepSeries } from '../lib/chart.mjs';
import { settle, snapshot } from '../lib/memory.mjs';
import { metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';

export const id = 'exec-drift';
const self = fileURLToPath(import.meta.url);

export async function measure({ side, kubeconfig, namespace, sandbox, total, every }, notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace });
  await settle();
  const samples = [{ execs: 0, ...snapshot() }];
  await mark('start');
  const t0 = performance.now();
  for (let i = 1; i <= total; i++) {
    const r = await d.exec(sandbox, ['true']);
    if (r.exitCode !== 0) throw new Error(`exit code ${r.exitCode} at exec ${i}`);
    if (i % every === 0) {
      await settle();
      samples.push({ execs: i, ...snapshot() });
    }
  }
  const wallMs = performance.now() - t0;
  await mark('end');
  return { samples, wallMs };
}

export async function run(ctx) {
  const total = ctx.quick ? 500 : 10_000;
  const every = ctx.quick ? 50 : 500;
  const base = total / 10;
  const rounds = 1; // 10,000 execs take minutes per process: one per side
  const namespace = await ctx.cluster.createNamespace('exec-drift');
  try {
    const box = await ctx.cluster.readySandbox(namespace);
    const one = (side) => runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, sandbox: box.name, total, every }, { timeoutMs: 1_800_000, label: `exec-drift-${side}` });
    const res = { ours: [], theirs: [] };
    for (let r = 0; r < rounds; r++) {
      const [o, t] = await Promise.all([one('ours'), one('theirs')]);
      res.ours.push(o);
      res.theirs.push(t);
    }
    const at = (r, n) => r.samples.find((s) => s.execs === n).rss;
    const drift = (side) => res[side].map((r) => ((at(r, total) - at(r, base)) / at(r, base)) * 100);
    ctx.counts['exec-drift'] = { execs: total, sampleEvery: every, baseAfter: base, childrenPerSide: rounds, sidesAtOnce: true };
    const ms = (side) => res[side].map((r) => r.wallMs / total);
    const heapDrift = (side) => res[side].map((r) => r.samples.at(-1).heapUsed - r.samples.find((s) => s.execs === base).heapUsed);
    const metrics = [
      metric({
        row: 'exec-drift',
        key: 'exec-drift: RSS drift',
        label: `RSS drift over ${total} sequential execs`,
        unit: '%',
        ours: drift('ours'),
        theirs: drift('theirs'),
        absGoal: { op: '<=', value: 5 },
        must: 'rss-drift',
        note: `(RSS after GC at ${total} - at ${base}) / at ${base}; ${rounds} process per side: one sample, no interval (the goal is then judged on the value, see the goals section)`,
        extra: { rss: Object.fromEntries(['ours', 'theirs'].map((s) => [s, res[s].map((r) => r.samples.map((x) => [x.execs, +x.rss.toFixed(2)]))])) },
      }),
      metric({ row: 'exec-drift', key: 'exec-drift: heap growth', label: `heap growth from exec ${base} to ${total}`, unit: 'MiB', ours: heapDrift('ours'), theirs: heapDrift('theirs'), note: 'heapUsed after GC' }),
      metric({ row: 'exec-drift', key: 'exec-drift: wall per exec', label: 'wall per exec (whole run / execs), both sides at once', unit: 'ms', ours: ms('ours'), theirs: ms('theirs'), note: 'the two processes ran at the same time (shared CPUs); includes the GC at every sample; not a latency comparison' }),
    ];
    // With one process per side there is no interval: the goals section shows the value and says so.
    const m = metrics[0];
    if (m.ours && m.ours.n < 2) m.mustValue = { value: m.ours.median, unit: '%', met: undefined, how: `one process (no interval); the value ${m.ours.median <= 5 ? 'is' : 'is NOT'} within 5 %` };
    const series = (name, side) => sweepSeries(name, res[side][0].samples.map((s, i) => ({ x: s.execs, samples: res[side].map((r) => r.samples[i].rss) })));
    ctx.sweeps.push({
      id: 'exec-drift',
      title: `RSS after GC over ${total} sequential execs`,
      xLabel: 'execs done',
      yLabel: 'RSS MiB',
      logX: false,
      logY: false,
      note: `drift goal (ours): RSS at ${total} within 5 % of RSS at ${base}`,
      series: [series('ours', 'ours'), series('client-node', 'theirs')],
    });
    return metrics;
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
