#!/usr/bin/env node
// Compares two result files of bench/run.mjs, metric by metric:
//   node bench/compare.mjs bench/results/A.json bench/results/B.json
// Medians of ours and client-node in A and B, the change, and both ratios.
import { readFileSync } from 'node:fs';
import { metricKey } from './lib/report.mjs';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node bench/compare.mjs <earlier.json> <later.json>');
  process.exit(2);
}
const load = (f) => JSON.parse(readFileSync(f, 'utf8'));
const A = load(a);
const B = load(b);

const key = (m) => metricKey(m);
const byKey = (r) => new Map(r.metrics.map((m) => [key(m), m]));
const ma = byKey(A);
const mb = byKey(B);
const num = (x, d = 2) => (x === undefined || x === null ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(d));
const change = (x, y) => (x && y ? `${y >= x ? '+' : ''}${(((y - x) / Math.abs(x)) * 100).toFixed(0)}%` : '');

const rows = [['metric (N = count)', 'unit', 'ours A', 'ours B', 'Δ', 'client-node A', 'client-node B', 'Δ', 'ratio A', 'ratio B', 'goal B']];
for (const k of new Set([...ma.keys(), ...mb.keys()])) {
  const x = ma.get(k) ?? {};
  const y = mb.get(k) ?? {};
  const goal = y.goal ? `${y.goal.op} ${y.goal.value} ${y.met === undefined ? '' : y.met ? 'met' : 'MISSED'}` : '';
  rows.push([
    k,
    y.unit ?? x.unit ?? '',
    num(x.ours?.median),
    num(y.ours?.median),
    change(x.ours?.median, y.ours?.median),
    num(x.theirs?.median),
    num(y.theirs?.median),
    change(x.theirs?.median, y.theirs?.median),
    num(x.ratio),
    num(y.ratio),
    goal,
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join(' | ').trimEnd();
console.log(`A: ${a} (${A.startedAt}, git ${A.versions?.gitCommit}, ${A.options?.quick ? 'quick' : 'full'})`);
console.log(`B: ${b} (${B.startedAt}, git ${B.versions?.gitCommit}, ${B.options?.quick ? 'quick' : 'full'})`);
if (A.machine?.cpuModel !== B.machine?.cpuModel || A.machine?.cpus !== B.machine?.cpus) {
  console.log(`note: different machines (${A.machine?.cpuModel} x${A.machine?.cpus} vs ${B.machine?.cpuModel} x${B.machine?.cpus}): compare the ratios, not the times`);
}
if (Boolean(A.options?.quick) !== Boolean(B.options?.quick)) {
  console.log('note: a quick and a full run: the counts differ (N in the names); the ratios compare better than the times');
}
console.log();
console.log(line(rows[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows.slice(1)) console.log(line(r));
