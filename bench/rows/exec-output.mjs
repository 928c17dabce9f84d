// Sweep: buffered exec with 0 B, 1 KB, 64 KB and 1 MB of stdout
// (`head -c N /dev/zero`), both sides, sequential calls: latency per exec
// and the client's CPU per exec at each size (the whole output collected
// into the result, as a caller gets it).
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { sweepSeries } from '../lib/chart.mjs';
import { metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { bySide } from '../lib/rounds.mjs';

export const id = 'exec-output';
const self = fileURLToPath(import.meta.url);
const SIZES = [0, 1000, 64_000, 1_000_000]; // bytes (KB = 10^3)

export async function measure({ side, kubeconfig, namespace, sandbox, sizes, calls }, _notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace });
  const once = async (size) => {
    const t0 = performance.now();
    const r = await d.exec(sandbox, ['head', '-c', String(size), '/dev/zero']);
    const ms = performance.now() - t0;
    if (r.exitCode !== 0 || r.stdout.length !== size) throw new Error(`exit ${r.exitCode}, ${r.stdout.length} of ${size} bytes`);
    return ms;
  };
  for (const size of sizes) await once(size); // warm-up, every size once
  const out = {};
  await mark('start');
  for (const size of sizes) {
    const ms = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) ms.push(await once(size));
    const cpu = process.cpuUsage(cpu0);
    out[size] = { ms, cpuPerExec: (cpu.user + cpu.system) / 1000 / calls };
  }
  await mark('end');
  return { bySize: out };
}

export async function run(ctx) {
  const calls = ctx.quick ? 10 : 30; // per size and child
  const rounds = ctx.quick ? 1 : 3; // quick: a smoke, no intervals
  const namespace = await ctx.cluster.createNamespace('exec-out');
  try {
    const box = await ctx.cluster.readySandbox(namespace);
    const res = await bySide(rounds, (side) =>
      runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, sandbox: box.name, sizes: SIZES, calls }, { timeoutMs: 600_000, label: `exec-output-${side}` }),
    );
    ctx.counts['exec-output'] = { sizes: SIZES, callsPerSizePerChild: calls, childrenPerSide: rounds };
    const lat = (side, s) => res[side].flatMap((r) => r.bySize[s].ms);
    const cpu = (side, s) => res[side].map((r) => r.bySize[s].cpuPerExec);
    const name = (s) => (s >= 1e6 ? `${s / 1e6} MB` : s >= 1e3 ? `${s / 1e3} KB` : `${s} B`);
    const metrics = SIZES.flatMap((s) => [
      metric({ row: 'exec-output', key: `exec-output: latency @${s}`, label: `head -c ${name(s)}: latency`, unit: 'ms', ours: lat('ours', s), theirs: lat('theirs', s), note: `${rounds} children per side x ${calls} sequential calls; stdout collected whole` }),
      metric({ row: 'exec-output', key: `exec-output: client CPU @${s}`, label: `head -c ${name(s)}: client CPU per exec`, unit: 'ms', ours: cpu('ours', s), theirs: cpu('theirs', s), note: 'one sample per child' }),
    ]);
    // Log x needs x > 0: 0 B is drawn at 1 B (said in the note).
    const x = (s) => Math.max(1, s);
    const series = (pick, label, side) => sweepSeries(label, SIZES.map((s) => ({ x: x(s), samples: pick(side, s) })));
    const note = '0 B is drawn at x = 1';
    ctx.sweeps.push(
      { id: 'exec-output-latency', title: 'exec `head -c N /dev/zero`: latency per call by output size', xLabel: 'stdout bytes', yLabel: 'ms per exec (median, 95% interval)', logX: true, logY: true, note, series: [series(lat, 'ours', 'ours'), series(lat, 'client-node', 'theirs')] },
      { id: 'exec-output-cpu', title: 'exec `head -c N /dev/zero`: client CPU per exec by output size', xLabel: 'stdout bytes', yLabel: 'client CPU ms per exec', logX: true, logY: true, note, series: [series(cpu, 'ours', 'ours'), series(cpu, 'client-node', 'theirs')] },
    );
    return metrics;
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
