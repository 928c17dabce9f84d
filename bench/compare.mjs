#!/usr/bin/env node
// Compares two result files of bench/run.mjs, metric by metric:
//   node bench/compare.mjs bench/results/A.json bench/results/B.json
// Medians of ours and client-node in A and B, the change, both ratios
// with their bootstrap 95% intervals (as saved in each file), whether the
// intervals overlap, and the must-show goals of both runs.
import { readFileSync } from 'node:fs';
import { metricKey } from './lib/report.mjs';
import { ratioInterval } from './lib/stats.mjs';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node bench/compare.mjs <earlier.json> <later.json>');
  process.exit(2);
}
const load = (f) => JSON.parse(readFileSync(f, 'utf8'));
const A = load(a);
const B = load(b);

const key = (m) => metricKey(m);
// Files saved before intervals were recorded: the interval from the saved samples (same bootstrap).
const withCI = (m) => (m.ratio !== undefined && !m.ratioCI && m.samples?.ours && m.samples?.theirs ? { ...m, ratioCI: ratioInterval(m.samples.ours, m.samples.theirs) } : m);
const byKey = (r) => new Map(r.metrics.map((m) => [key(m), withCI(m)]));
const ma = byKey(A);
const mb = byKey(B);
const num = (x, d = 2) => (x === undefined || x === null ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(d));
const change = (x, y) => (x && y ? `${y >= x ? '+' : ''}${(((y - x) / Math.abs(x)) * 100).toFixed(0)}%` : '');
const ratio = (r, ci) => (r === undefined || r === null ? '—' : ci ? `${num(r)} [${num(ci.lo)}-${num(ci.hi)}]` : num(r));
// Intervals of the two ratios: 'overlap' (no change shown), or which way B moved.
const moved = (x, y) => {
  const a = x.ratioCI;
  const b = y.ratioCI;
  if (!a || !b) return '';
  if (b.hi < a.lo) return 'lower';
  if (b.lo > a.hi) return 'higher';
  return 'overlap';
};
const goalOf = (m) => {
  const parts = [];
  if (m.goal) parts.push(`${m.goal.op} ${m.goal.value} ${m.met === undefined ? '?' : m.met ? 'met' : 'MISSED'}`);
  if (m.absGoal) parts.push(`ours ${m.absGoal.op} ${m.absGoal.value} ${m.metAbs === undefined ? '?' : m.metAbs ? 'met' : 'MISSED'}`);
  return parts.join('; ');
};

const rows = [['metric (N = count)', 'unit', 'ours A', 'ours B', 'Δ', 'client-node A', 'client-node B', 'Δ', 'ratio A [95%]', 'ratio B [95%]', 'B vs A', 'goal B']];
for (const k of new Set([...ma.keys(), ...mb.keys()])) {
  const x = ma.get(k) ?? {};
  const y = mb.get(k) ?? {};
  rows.push([
    k,
    y.unit ?? x.unit ?? '',
    num(x.ours?.median),
    num(y.ours?.median),
    change(x.ours?.median, y.ours?.median),
    num(x.theirs?.median),
    num(y.theirs?.median),
    change(x.theirs?.median, y.theirs?.median),
    ratio(x.ratio, x.ratioCI),
    ratio(y.ratio, y.ratioCI),
    moved(x, y),
    goalOf(y),
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
console.log('ratios: ours / client-node, [bootstrap 95% interval]; B vs A: whether the two intervals overlap, else which way B moved');
console.log();
console.log(line(rows[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows.slice(1)) console.log(line(r));

// The must-show goals of both runs (files from before the goals section have none).
const ga = new Map((A.goals ?? []).map((g) => [g.id, g]));
const gb = new Map((B.goals ?? []).map((g) => [g.id, g]));
if (ga.size || gb.size) {
  const cellOf = (g) => (!g || g.value === undefined || g.value === null ? '—' : `${num(g.value)}${g.lo !== undefined && g.hi !== undefined ? ` [${num(g.lo)}-${num(g.hi)}]` : ''} ${g.met === undefined ? '(no interval)' : g.met ? 'met' : 'NOT MET'}`);
  const grows = [['must-show goal', 'A', 'B']];
  for (const id of new Set([...ga.keys(), ...gb.keys()])) grows.push([(gb.get(id) ?? ga.get(id)).goal, cellOf(ga.get(id)), cellOf(gb.get(id))]);
  const gw = grows[0].map((_, i) => Math.max(...grows.map((r) => String(r[i]).length)));
  const gl = (r) => r.map((c, i) => String(c).padEnd(gw[i])).join(' | ').trimEnd();
  console.log();
  console.log(gl(grows[0]));
  console.log(gw.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of grows.slice(1)) console.log(gl(r));
}
