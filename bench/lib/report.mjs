// Metrics (summaries and ratios), the printed table, and the JSON record.
import { BOOTSTRAP, ratioInterval, summarize } from './stats.mjs';

/** A name for a metric that does not change with the counts (to match runs of different sizes). */
export const metricKey = (m) => m.key ?? `${m.row}: ${String(m.label).replace(/\d[\d,.]*/g, 'N')}`;

/**
 * One line of the table. Samples in, summaries and ratios out.
 * `goal`: `{op: '<=' | '>=', value}` on ours/theirs (medians);
 * `kubectlGoal`: the same on ours/kubectl. Each ratio comes with a bootstrap
 * 95% interval (`ratioCI`, `ratioKubectlCI`); a goal is met only when the
 * whole interval clears it (upper bound <= goal, or lower bound >= goal).
 */
export function metric({ key, row, label, unit, better = 'lower', ours, theirs, kubectl, goal, kubectlGoal, note, extra }) {
  const m = { key: key ?? metricKey({ row, label }), row, label, unit, better, note, goal, kubectlGoal };
  m.ours = summarize(ours ?? []);
  m.theirs = summarize(theirs ?? []);
  m.kubectl = summarize(kubectl ?? []);
  m.ratio = ratioOf(m.ours, m.theirs);
  m.ratioKubectl = ratioOf(m.ours, m.kubectl);
  m.ratioCI = m.ratio === undefined ? undefined : ratioInterval(ours, theirs);
  m.ratioKubectlCI = m.ratioKubectl === undefined ? undefined : ratioInterval(ours, kubectl);
  m.met = check(goal, m.ratioCI);
  m.metKubectl = check(kubectlGoal, m.ratioKubectlCI);
  m.samples = { ours: round(ours), theirs: round(theirs), kubectl: round(kubectl) };
  if (extra) m.extra = extra;
  return m;
}

/** A line for a row that could not be measured (kept in the table and the JSON). */
export function unavailable({ row, label, reason, goal }) {
  return { key: metricKey({ row, label }), row, label, unit: '', unavailable: reason, goal };
}

function ratioOf(a, b) {
  // A ratio of medians means something only when both are positive.
  if (!a || !b || !(a.median > 0) || !(b.median > 0)) return undefined;
  return a.median / b.median;
}

/** Met only when the whole interval is on the goal's side of it. */
function check(goal, ci) {
  if (!goal || ci === undefined) return undefined;
  return goal.op === '<=' ? ci.hi <= goal.value : ci.lo >= goal.value;
}

function round(samples) {
  if (!samples || samples.length === 0) return undefined;
  return samples.map((x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x));
}

const fmt = (x) => {
  if (x === undefined || x === null || Number.isNaN(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 10) return x.toFixed(2);
  return x.toFixed(3);
};
const cell = (s) => (s ? `${fmt(s.median)} (${fmt(s.p99)})` : '—');
const r2 = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratioCell = (r, ci) => (r === undefined ? '—' : ci ? `${r2(r)} [${r2(ci.lo)}-${r2(ci.hi)}]` : r2(r));
const goalCell = (g, met) => (g ? `${g.op} ${g.value} ${met === undefined ? '?' : met ? 'met' : 'MISSED'}` : '');
const counts = (m) => [m.ours?.n, m.theirs?.n, m.kubectl?.n].map((n) => n ?? '-').join('/');

/** The table as text: medians with p99 in parentheses, ratios ours / theirs and ours / kubectl. */
export function formatTable(metrics) {
  const head = ['row', 'metric', 'unit', 'n (o/c/k)', 'ours p50 (p99)', 'client-node p50 (p99)', 'ours/cn', 'goal', 'kubectl p50 (p99)', 'ours/kubectl', 'kubectl goal'];
  const rows = metrics.map((m) =>
    m.unavailable
      ? [m.row, m.label, '', '', `not available: ${m.unavailable}`, '', '', goalCell(m.goal), '', '', '']
      : [m.row, m.label, m.unit, counts(m), cell(m.ours), cell(m.theirs), ratioCell(m.ratio, m.ratioCI), goalCell(m.goal, m.met), cell(m.kubectl), ratioCell(m.ratioKubectl, m.ratioKubectlCI), goalCell(m.kubectlGoal, m.metKubectl)],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join(' | ').trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('-|-');
  const legend = [
    'cells: median (p99); n: samples ours/client-node/kubectl; ours/cn and ours/kubectl: ratio of medians [bootstrap 95% interval]',
    `(${BOOTSTRAP.resamples} resamples of each side on its own, seeded); a goal is met only when the whole interval clears it; MB/s and /s: higher is better, all else lower`,
  ].join('\n');
  const out = [legend, '', line(head), sep, ...rows.map(line)];
  const notes = metrics.filter((m) => m.note).map((m) => `  ${m.row} / ${m.label}: ${m.note}`);
  if (notes.length) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

/**
 * Two lines per measured window: the measured client's CPU and the server
 * side's CPU (kube-apiserver + etcd + conversion webhook, from
 * /proc/<pid>/stat) per operation. `res` is bySide's result (each child's
 * value with the `cpu` window runChild attaches); `ops(r)` the number of
 * operations in that child's window.
 */
export function cpuMetrics({ row, label, res, ops, unitOp = 'op', note, kubectl }) {
  const per = (side, k) => (res[side] ?? []).filter((r) => r.cpu).map((r) => r.cpu[k] / ops(r));
  const parts = (side) => (res[side] ?? []).filter((r) => r.cpu).map((r) => Object.fromEntries(Object.entries(r.cpu.server).map(([c, ms]) => [c, ms / ops(r)])));
  const windows = [...(res.ours ?? []), ...(res.theirs ?? [])].map((r) => r.cpu?.window).filter(Boolean);
  const why = `${note ? `${note}; ` : ''}one sample per process (its CPU over the measured window / ${unitOp}s in it)${windows.includes('whole call') ? '; window: the whole child call' : ''}`;
  return [
    metric({ row, label: `${label}: client CPU per ${unitOp}`, unit: 'ms', ours: per('ours', 'clientMs'), theirs: per('theirs', 'clientMs'), note: `${why}; process.cpuUsage() of the measuring process, user+system, all threads` }),
    metric({
      row,
      label: `${label}: server CPU per ${unitOp}`,
      unit: 'ms',
      ours: per('ours', 'serverMs'),
      theirs: per('theirs', 'serverMs'),
      kubectl,
      note: 'kube-apiserver + etcd + conversion webhook, /proc/<pid>/stat utime+stime over the same window (10 ms ticks; includes whatever else the cluster did meanwhile)',
      extra: { byProcess: { ours: parts('ours'), theirs: parts('theirs') } },
    }),
  ];
}

/** kubectl samples minus the median of its start-up samples, and the words for the note. */
export function lessStartup(samples, start) {
  if (!samples?.length || !start?.length) return { samples, note: '' };
  const s = [...start].sort((a, b) => a - b);
  const m = s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return {
    samples: samples.map((x) => x - m),
    startMs: m,
    note: `kubectl: ${samples.length} processes, interleaved with the sides (rotating order), each minus kubectl's start-up: median ${m.toFixed(1)} ms of ${start.length} \`kubectl version --client -o json\` processes, interleaved too`,
  };
}
