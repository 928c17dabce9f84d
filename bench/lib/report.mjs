// Metrics (summaries and ratios), the printed table, and the JSON record.
import { BOOTSTRAP, medianInterval, ratioInterval, summarize } from './stats.mjs';

/** A name for a metric that does not change with the counts (to match runs of different sizes). */
export const metricKey = (m) => m.key ?? `${m.row}: ${String(m.label).replace(/\d[\d,.]*/g, 'N')}`;

/**
 * One line of the table. Samples in, summaries and ratios out.
 * `goal`: `{op: '<=' | '>=', value}` on ours/theirs (medians);
 * `kubectlGoal`: the same on ours/kubectl. Each ratio comes with a bootstrap
 * 95% interval (`ratioCI`, `ratioKubectlCI`); a goal is met only when the
 * whole interval clears it (upper bound <= goal, or lower bound >= goal).
 */
export function metric({ key, row, label, unit, better = 'lower', ours, theirs, kubectl, goal, kubectlGoal, absGoal, must, note, extra }) {
  const m = { key: key ?? metricKey({ row, label }), row, label, unit, better, note, goal, kubectlGoal };
  if (must) m.must = must;
  m.ours = summarize(ours ?? []);
  m.theirs = summarize(theirs ?? []);
  m.kubectl = summarize(kubectl ?? []);
  m.ratio = ratioOf(m.ours, m.theirs);
  m.ratioKubectl = ratioOf(m.ours, m.kubectl);
  m.ratioCI = m.ratio === undefined ? undefined : ratioInterval(ours, theirs);
  m.ratioKubectlCI = m.ratioKubectl === undefined ? undefined : ratioInterval(ours, kubectl);
  m.met = check(goal, m.ratioCI);
  m.metKubectl = check(kubectlGoal, m.ratioKubectlCI);
  // An absolute goal on ours' median (not a ratio): met only when the median's interval clears it.
  if (absGoal) {
    m.absGoal = absGoal;
    m.oursCI = m.ours ? medianInterval(ours) : undefined;
    m.metAbs = check(absGoal, m.oursCI);
  }
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
const absCell = (m) => (m.absGoal ? `ours ${m.absGoal.op} ${m.absGoal.value} ${m.unit} (abs) ${m.metAbs === undefined ? '?' : m.metAbs ? 'met' : 'MISSED'}` : '');
const goalCells = (m) => [goalCell(m.goal, m.met), absCell(m)].filter(Boolean).join('; ');
const counts = (m) => [m.ours?.n, m.theirs?.n, m.kubectl?.n].map((n) => n ?? '-').join('/');

/** The table as text: medians with p99 in parentheses, ratios ours / theirs and ours / kubectl. */
export function formatTable(metrics) {
  const head = ['row', 'metric', 'unit', 'n (o/c/k)', 'ours p50 (p99)', 'client-node p50 (p99)', 'ours/cn', 'goal', 'kubectl p50 (p99)', 'ours/kubectl', 'kubectl goal'];
  const rows = metrics.map((m) =>
    m.unavailable
      ? [m.row, m.label, '', '', `not available: ${m.unavailable}`, '', '', goalCell(m.goal), '', '', '']
      : [m.row, m.label, m.unit, counts(m), cell(m.ours), cell(m.theirs), ratioCell(m.ratio, m.ratioCI), goalCells(m), cell(m.kubectl), ratioCell(m.ratioKubectl, m.ratioKubectlCI), goalCell(m.kubectlGoal, m.metKubectl)],
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
export function cpuMetrics({ row, label, res, ops, unitOp = 'op', note, kubectl, goal, must }) {
  const per = (side, k) => (res[side] ?? []).filter((r) => r.cpu).map((r) => r.cpu[k] / ops(r));
  const parts = (side) => (res[side] ?? []).filter((r) => r.cpu).map((r) => Object.fromEntries(Object.entries(r.cpu.server).map(([c, ms]) => [c, ms / ops(r)])));
  const windows = [...(res.ours ?? []), ...(res.theirs ?? [])].map((r) => r.cpu?.window).filter(Boolean);
  const why = `${note ? `${note}; ` : ''}one sample per process (its CPU over the measured window / ${unitOp}s in it)${windows.includes('whole call') ? '; window: the whole child call' : ''}`;
  return [
    metric({ row, label: `${label}: client CPU per ${unitOp}`, unit: 'ms', ours: per('ours', 'clientMs'), theirs: per('theirs', 'clientMs'), goal, must, note: `${why}; process.cpuUsage() of the measuring process, user+system, all threads` }),
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

/**
 * The issue's must-show goals, in order: `[id, goal]`. A metric names the
 * goal it carries with `must: id`; `summarizeGoals` finds them in a run.
 */
export const MUST_SHOW = [
  ['watch-cpu', 'watch: CPU per event, ours/client-node <= 0.4'],
  ['idle-rss', 'idle streams: RSS per stream, ours/client-node <= 0.3'],
  ['stream-cpu', 'stream: reader CPU per GB, ours/client-node <= 0.7'],
  ['stream-mbps', 'stream: throughput >= 0.95 of the better of client-node and kubectl'],
  ['list-1000', 'list 1,000, equal compression: wall, ours/client-node <= 0.7'],
  ['list-10000', 'list 10,000, equal compression: wall, ours/client-node <= 0.7'],
  ['exec-20', 'exec: 20 concurrent, latency, ours/client-node <= 0.7'],
  ['pool-create', 'warm-pool create() (served from the pool) <= 120 ms, absolute'],
  ['rss-drift', 'RSS drift over 10,000 sequential execs <= 5 %, ours'],
  ['scale-watches', '1,000 concurrent waitForReady: <= 2 watches held'],
  ['scale-settled', '1,000 concurrent waitForReady: all settle'],
];

/**
 * One entry per must-show goal: `{id, goal, metric, value, lo, hi, unit, met, how}`
 * (met: true / false / undefined = not measured or no interval). The stream
 * throughput goal is against the better (higher median) of client-node and
 * kubectl, with that ratio's interval.
 */
export function summarizeGoals(metrics) {
  return MUST_SHOW.map(([id, goal]) => {
    const m = metrics.find((x) => x.must === id && !x.unavailable);
    if (!m) return { id, goal, met: undefined, how: 'not measured in this run' };
    const base = { id, goal, metric: `${m.row} / ${m.label}` };
    if (m.mustValue) return { ...base, ...m.mustValue };
    if (id === 'stream-mbps') {
      const vsKubectl = m.kubectl && (!m.theirs || m.kubectl.median > m.theirs.median);
      const [r, ci, g] = vsKubectl ? [m.ratioKubectl, m.ratioKubectlCI, m.kubectlGoal] : [m.ratio, m.ratioCI, m.goal];
      return { ...base, value: r, lo: ci?.lo, hi: ci?.hi, unit: `x ${vsKubectl ? 'kubectl' : 'client-node'}`, met: check(g, ci), how: `ratio to the better: ${vsKubectl ? 'kubectl' : 'client-node'} (median ${fmt(vsKubectl ? m.kubectl.median : m.theirs?.median)} MB/s)` };
    }
    if (m.absGoal) return { ...base, value: m.ours?.median, lo: m.oursCI?.lo, hi: m.oursCI?.hi, unit: m.unit, met: m.metAbs, how: `ours' median, n=${m.ours?.n ?? 0}` };
    const noRatio = m.ratio === undefined ? `; no ratio: a median is not above zero (ours ${fmt(m.ours?.median)}, client-node ${fmt(m.theirs?.median)} ${m.unit})` : '';
    return { ...base, value: m.ratio, lo: m.ratioCI?.lo, hi: m.ratioCI?.hi, unit: 'x client-node', met: m.met, measured: true, how: `ratio of medians, n=${m.ours?.n ?? 0}/${m.theirs?.n ?? 0}${noRatio}` };
  });
}

/** The must-show goals as text (the table's last section). */
export function formatGoals(goals) {
  const head = ['goal', 'value', '95% interval', 'met', 'from'];
  const rows = goals.map((g) => [
    g.goal,
    g.value === undefined ? '—' : `${fmt(g.value)} ${g.unit ?? ''}`.trim(),
    g.lo === undefined || g.hi === undefined ? '—' : `[${fmt(g.lo)}-${fmt(g.hi)}]`,
    g.met === undefined ? (g.value === undefined ? (g.measured ? 'no ratio' : 'not measured') : 'no interval') : g.met ? 'met' : 'NOT MET',
    g.metric ? `${g.metric}; ${g.how}` : g.how,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join(' | ').trimEnd();
  return ['must-show goals (met only when the whole 95% interval clears the goal):', '', line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}
