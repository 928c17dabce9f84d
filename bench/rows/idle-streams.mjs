// Memory with 100 concurrent idle exec streams (`sleep` that prints
// nothing), in a fresh process per side: RSS and heap growth from before
// the first stream to all of them open, after GC.
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { growth, settle, snapshot } from '../lib/memory.mjs';
import { cpuMetrics, metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { bySide } from '../lib/rounds.mjs';

export const id = 'idle';
const self = fileURLToPath(import.meta.url);
const OPENING = 10; // streams being opened at once

export async function measure({ side, kubeconfig, namespace, sandbox, streams, sleepS = 120, opening = OPENING }, _notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace });
  // Warm: one buffered exec and one stream, so code and connections exist before the baseline.
  await d.exec(sandbox, ['true']);
  const w = await d.execStream(sandbox, ['true']);
  w.stdout.resume();
  w.stderr.resume();
  await w.wait();
  await settle();
  const before = snapshot();
  await mark('start');
  const t0 = performance.now();
  const handles = [];
  let ended = 0;
  for (let i = 0; i < streams; i += opening) {
    const batch = await Promise.all(Array.from({ length: Math.min(opening, streams - i) }, () => d.execStream(sandbox, ['sleep', String(sleepS)])));
    for (const h of batch) {
      h.wait().then(() => ended++, () => ended++);
      handles.push(h);
    }
  }
  const openMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 1000));
  const peak = snapshot();
  await mark('end');
  await settle();
  const after = snapshot();
  if (ended) throw new Error(`${ended} of ${streams} streams ended while they should be idle`);
  for (const h of handles) h.kill();
  return { openMs, atPeak: growth(before, peak), settled: growth(before, after), rssBefore: before.rss };
}

export async function run(ctx) {
  const streams = 100;
  const rounds = ctx.quick ? 2 : 6; // 8 before the sweeps: the full run's time (README)
  const namespace = await ctx.cluster.createNamespace('idle');
  try {
    const box = await ctx.cluster.readySandbox(namespace);
    const res = await bySide(rounds, (side) =>
      runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, sandbox: box.name, streams }, { timeoutMs: 180_000, label: `idle-${side}` }),
    );
    ctx.counts.idle = { streams, childrenPerSide: rounds, openingAtOnce: OPENING };
    ctx.shared.idle = { streams, rounds, res }; // the 100-stream point of idle-sweep
    const pick = (side, when, k) => res[side].map((r) => r[when][k]);
    const perStream = (side) => pick(side, 'settled', 'rss').map((mib) => (mib * 1024) / streams);
    return [
      metric({
        row: 'idle',
        label: `${streams} idle streams: RSS per stream`,
        unit: 'KiB',
        ours: perStream('ours'),
        theirs: perStream('theirs'),
        goal: { op: '<=', value: 0.3 },
        must: 'idle-rss',
        note: `RSS growth after GC with all ${streams} open / ${streams}; ${rounds} fresh processes per side`,
      }),
      metric({
        row: 'idle',
        label: `${streams} idle streams: RSS growth`,
        unit: 'MiB',
        ours: pick('ours', 'settled', 'rss'),
        theirs: pick('theirs', 'settled', 'rss'),
        note: `after GC, all ${streams} open; ${rounds} fresh processes per side; baseline after one exec and one stream`,
        extra: { rssBefore: { ours: res.ours.map((r) => r.rssBefore), theirs: res.theirs.map((r) => r.rssBefore) }, rssAtPeak: { ours: pick('ours', 'atPeak', 'rss'), theirs: pick('theirs', 'atPeak', 'rss') } },
      }),
      metric({
        row: 'idle',
        label: `${streams} idle streams: heap growth`,
        unit: 'MiB',
        ours: pick('ours', 'settled', 'heapUsed'),
        theirs: pick('theirs', 'settled', 'heapUsed'),
        note: 'heapUsed after GC',
        extra: { external: { ours: pick('ours', 'settled', 'external'), theirs: pick('theirs', 'settled', 'external') } },
      }),
      metric({
        row: 'idle',
        label: `${streams} idle streams: time to open all`,
        unit: 'ms',
        ours: res.ours.map((r) => r.openMs),
        theirs: res.theirs.map((r) => r.openMs),
        note: `${OPENING} opening at a time`,
      }),
      ...cpuMetrics({ row: 'idle', label: `open ${streams} + 1 s idle`, res, ops: () => streams, unitOp: 'stream' }),
    ];
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
