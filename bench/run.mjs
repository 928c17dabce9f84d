#!/usr/bin/env node
// The benchmark suite: this package against the same operations written on
// @kubernetes/client-node (and kubectl where it fits), in one run, against
// one local control plane. Prints a table; saves JSON in bench/results/.
//
//   node bench/run.mjs --kubeconfig PATH [--kubectl PATH] [--only a,b] [--skip a,b]
//                      [--sweeps | --no-sweeps] [--quick] [--out DIR] [--no-save] [--allow-dirty] [--tag NAME]
//                      [--cpu-prof REGEX] [--perf-stat REGEX] [--perf-record REGEX]
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderSvg } from './lib/chart.mjs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster } from './lib/cluster.mjs';
import { addonFingerprint, dirtyFiles, machine, versions } from './lib/machine.mjs';
import { BENCH_DIR, cpuWatch, killAllChildren, profiling, runCommand } from './lib/proc.mjs';
import { serverProcs } from './lib/server.mjs';
import { formatGoals, formatTable, summarizeGoals, unavailable } from './lib/report.mjs';

// Rows in the order they run. The sweep rows (SWEEPS) each draw a chart;
// `--sweeps` runs only them, `--no-sweeps` leaves them out. idle-sweep
// takes its 100-stream point from the idle row when both run.
const ROWS = ['import', 'crud', 'list', 'watch', 'watch-rate', 'watchers', 'exec', 'exec-concurrency', 'exec-output', 'exec-drift', 'stream', 'idle', 'idle-sweep', 'ready', 'provider', 'pool-drain', 'scale'];
const SWEEPS = ['watch-rate', 'watchers', 'exec-concurrency', 'exec-output', 'exec-drift', 'idle-sweep', 'pool-drain'];
const FILES = { idle: 'idle-streams' };
const TITLES = {
  'watch-rate': 'sweep: watch at 10 / 100 / 1,000 events/s',
  watchers: 'sweep: 1 / 10 / 100 watchers in one process',
  'exec-concurrency': 'sweep: exec concurrency 1 / 5 / 20 / 100',
  'exec-output': 'sweep: exec output 0 B / 1 KB / 64 KB / 1 MB',
  'exec-drift': 'sweep: RSS over 10,000 sequential execs',
  'idle-sweep': 'sweep: 10 / 100 / 1,000 idle streams',
  'pool-drain': 'sweep: provider creates until the warm pool drains',
  import: 'cold import',
  crud: 'create / get / delete',
  list: 'list of 1,000 Sandboxes',
  watch: 'watch: 2,000 changes',
  exec: 'exec of `true`',
  stream: 'streamed stdout',
  idle: '100 idle exec streams',
  ready: 'create-to-Ready',
  provider: 'provider create()',
  scale: 'concurrent waitForReady',
};

const { values: opts } = parseArgs({
  options: {
    kubeconfig: { type: 'string', default: process.env.KUBECONFIG },
    kubectl: { type: 'string', default: process.env.KUBECTL },
    only: { type: 'string' },
    skip: { type: 'string' },
    sweeps: { type: 'boolean', default: false },
    'no-sweeps': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(BENCH_DIR, 'results') },
    'no-save': { type: 'boolean', default: false },
    'allow-dirty': { type: 'boolean', default: false },
    'charts-to': { type: 'string' },
    tag: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'perf-stat': { type: 'string' },
    'perf-record': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  allowPositionals: false,
});

if (opts.help || !opts.kubeconfig) {
  console.log(`usage: node bench/run.mjs --kubeconfig PATH [options]
  --kubectl PATH       kubectl binary for the kubectl columns (default: $KUBECTL; none: no kubectl column)
  --only a,b           rows to run (${ROWS.join(', ')})
  --skip a,b           rows to leave out
  --sweeps             only the sweep rows (${SWEEPS.join(', ')})
  --no-sweeps          leave the sweep rows out
  --quick              small counts, a smoke test; without --sweeps or --only it leaves the sweeps out
  --out DIR            where the JSON goes (default bench/results)
  --no-save            print only
  --allow-dirty        save even from a working tree with changes (the JSON says dirty: true);
                       without it a run from a changed tree refuses to start unless --no-save
  --charts-to DIR      with --no-save: write the sweeps' SVG charts to DIR
  --tag NAME           appended to the JSON file name
  --cpu-prof REGEX     node --cpu-prof for matching measurement children (labels like exec-ours, list-theirs; '.' = all)
  --perf-stat REGEX    run matching measurement children under perf stat -d ('.' = all)
  --perf-record REGEX  run matching measurement children under perf record -g (with --perf-basic-prof)
  profiles go to OUT/profiles/<timestamp>/`);
  process.exit(opts.help ? 0 : 2);
}

const pick = (s) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
const only = pick(opts.only);
const skip = pick(opts.skip) ?? [];
for (const r of [...(only ?? []), ...skip]) if (!ROWS.includes(r)) throw new Error(`unknown row ${r}; rows: ${ROWS.join(', ')}`);
// --quick alone is a smoke of the rows without the sweeps (~8 min); the
// sweeps in quick mode with --sweeps (or by name in --only).
const noSweeps = opts['no-sweeps'] || (opts.quick && !opts.sweeps && !only);
const selected = ROWS.filter(
  (r) => (!only || only.includes(r)) && !skip.includes(r) && (opts.sweeps ? SWEEPS.includes(r) : !noSweeps || !SWEEPS.includes(r)),
);
if (selected.length === 0) throw new Error('no rows selected');

// Saved results name a commit: only from a clean tree (untracked files under
// bench/results/ aside), unless --allow-dirty, which marks the JSON.
const dirty = dirtyFiles();
if (!opts['no-save'] && !opts['allow-dirty'] && (dirty === undefined || dirty.length)) {
  console.error(
    dirty === undefined
      ? 'bench: cannot read the git state; results are saved only from a clean git tree (use --no-save, or --allow-dirty to save anyway, marked dirty)'
      : `bench: the working tree has changes (${dirty.length}: ${dirty.slice(0, 5).join('; ')}${dirty.length > 5 ? '; ...' : ''});\nresults are saved only from a clean tree: commit or stash, or use --no-save, or --allow-dirty (the JSON is then marked dirty: true)`,
  );
  process.exit(2);
}

const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const profileDir = join(opts.out, 'profiles', stamp);
if (opts['cpu-prof'] !== undefined) profiling.cpuProfDir = profileDir;
if (opts['perf-stat'] !== undefined) profiling.perfStatDir = profileDir;
if (opts['perf-record'] !== undefined) profiling.perfRecordDir = profileDir;
const regex = opts['cpu-prof'] || opts['perf-stat'] || opts['perf-record'];
if (regex) profiling.match = new RegExp(regex);

const cluster = new Cluster(opts.kubeconfig);
cpuWatch.procs = serverProcs(opts.kubeconfig);
const ctx = {
  kubeconfig: opts.kubeconfig,
  quick: opts.quick,
  cluster,
  counts: {},
  sweeps: [],
  shared: {}, // results one row leaves for a later one (idle's 100-stream point for idle-sweep)
  kubectlPath: opts.kubectl,
  kubectl: opts.kubectl
    ? (argv, o = {}) => runCommand(opts.kubectl, ['--kubeconfig', opts.kubeconfig, '--context', 'admin', ...argv], { timeoutMs: 120_000, ...o })
    : undefined,
  /** `n` kubectl processes that only start (`version --client -o json`): their wall times (kubectl's start-up). */
  kubectlStart: async (n) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push((await runCommand(opts.kubectl, ['version', '--client', '-o', 'json'], { timeoutMs: 60_000 })).ms);
    ctx.kubectlStartMs.push(...out);
    return out;
  },
  kubectlStartMs: [],
  /** `n` runs of `kubectl argv`: wall times. */
  kubectlTimes: async (argv, n, o) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push((await ctx.kubectl(argv, o)).ms);
    return out;
  },
  log: (msg) => console.error(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)}s] ${msg}`),
};

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    ctx.log(`${sig}: stopping children and deleting the bench namespaces`);
    killAllChildren();
    await cluster.cleanup().catch(() => {});
    process.exit(130);
  });
}

const info = {
  machine: machine(),
  versions: await versions({ cluster, kubectlPath: opts.kubectl, kubeconfig: opts.kubeconfig }),
  serverProcesses: cpuWatch.procs,
};
const header = [
  `machine: ${info.machine.cpuModel}, ${info.machine.cpus} CPUs, ${info.machine.memGiB} GiB, ${info.machine.os}`,
  `versions: node ${info.versions.node}, @agentpane/agent-sandbox-sdk ${info.versions.package} (addon ${info.versions.addonProfile ?? '?'}, ${info.versions.addon?.bytes} bytes, git ${info.versions.gitCommit}${info.versions.gitDirtyFiles ? ` DIRTY: +${info.versions.gitDirtyFiles} changed files` : ''}), @kubernetes/client-node ${info.versions.clientNode}, kubectl ${info.versions.kubectl ?? 'not used'}, kube-apiserver ${info.versions.kubernetesServer}, agent-sandbox controller ${info.versions.agentSandboxController ?? '?'}`,
  `server CPU from /proc/<pid>/stat of: ${Object.entries(cpuWatch.procs).map(([c, p]) => `${c} (${p})`).join(', ') || 'none found (not a testenv kubeconfig): no server CPU'}`,
  `mode: ${opts.quick ? 'quick (small counts)' : 'full'}; rows: ${selected.join(', ')}; loopback control plane; every measurement in its own Node process per side; concurrency kept at or below 20 on ${info.machine.cpus} CPUs`,
];
ctx.log(`${header[0]}; ${selected.length} rows: ${selected.join(', ')}${opts.quick ? ' (quick)' : ''}`);

const metrics = [];
const errors = [];
try {
  for (const row of selected) {
    if (interrupted) break;
    ctx.log(`row ${row}: ${TITLES[row]}`);
    const t0 = Date.now();
    try {
      const mod = await import(`./rows/${FILES[row] ?? row}.mjs`);
      const got = await mod.run(ctx);
      metrics.push(...got);
      ctx.log(`row ${row}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      ctx.log(`row ${row} FAILED: ${err?.stack || err}`);
      errors.push({ row, error: String(err?.stack || err) });
      metrics.push(unavailable({ row, label: TITLES[row], reason: `failed: ${String(err?.message || err).split('\n')[0].slice(0, 120)}` }));
    }
  }
} finally {
  await cluster.cleanup();
}

const finishedAt = new Date();
const addonAfter = addonFingerprint();
if (addonAfter?.sha256 !== info.versions.addon?.sha256) {
  header.push(`WARNING: the native addon changed during the run (${info.versions.addon?.sha256} -> ${addonAfter?.sha256}); numbers may mix builds`);
}
const loadAfter = machine().loadavg;
header.push(`load average (1/5/15 min): ${info.machine.loadavg.join(' ')} at the start, ${loadAfter.join(' ')} at the end, on ${info.machine.cpus} CPUs shared by the cluster and the measured clients (other work on the machine skews the numbers)`);
header.push(`counts: ${JSON.stringify(ctx.counts)}`);
header.push(`ran ${startedAt.toISOString()} for ${((finishedAt - startedAt) / 1000).toFixed(0)} s`);
const goals = summarizeGoals(metrics);
const table = `${formatTable(metrics)}\n\n${formatGoals(goals)}`;
if (opts['no-save'] && opts['charts-to']) {
  mkdirSync(opts['charts-to'], { recursive: true });
  for (const sweep of ctx.sweeps) writeFileSync(join(opts['charts-to'], `${sweep.id}.svg`), renderSvg(sweep));
}
console.log(`\n${header.join('\n')}\n\n${table}\n`);

if (!opts['no-save']) {
  mkdirSync(opts.out, { recursive: true });
  const file = join(opts.out, `${stamp}${opts.quick ? '-quick' : ''}${opts.tag ? `-${opts.tag}` : ''}.json`);
  const record = {
    schema: 2,
    dirty: Boolean(dirty === undefined || dirty.length || dirtyFiles()?.length),
    dirtyFiles: dirty,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt - startedAt) / 1000),
    options: { quick: opts.quick, rows: selected, tag: opts.tag },
    ...info,
    addonAfter,
    loadavgAfter: loadAfter,
    counts: ctx.counts,
    kubectlStartMs: ctx.kubectlStartMs,
    metrics,
    goals,
    sweeps: ctx.sweeps,
    errors,
    table,
  };
  writeFileSync(file, `${JSON.stringify(record, null, 1)}\n`);
  console.log(`saved ${file}`);
  for (const sweep of ctx.sweeps) {
    const svg = file.replace(/\.json$/, `-${sweep.id}.svg`);
    writeFileSync(svg, renderSvg(sweep));
    console.log(`saved ${svg}`);
  }
}
process.exit(errors.length ? 1 : 0);
