// Sweep: exec of `true` at concurrency 1, 5, 20 and 100 (calls started
// together in bursts), both sides; latency of each call and the client's
// CPU per exec at each level. Ours is this package's exec as in the exec
// row (both sides read the pod name from the Sandbox on every call).
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { sweepSeries } from '../lib/chart.mjs';
import { metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { timedTrue } from '../lib/timed-exec.mjs';
import { bySide, gather } from '../lib/rounds.mjs';

export const id = 'exec-concurrency';
const self = fileURLToPath(import.meta.url);

/** Child: at each level, `calls` execs in bursts of `level`; per level the latencies and the CPU per exec. */
export async function measure({ side, kubeconfig, namespace, sandbox, levels, calls, warmup }, _notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace });
  const once = () => timedTrue(d, sandbox);
  for (let i = 0; i < warmup; i++) await once();
  const out = {};
  await mark('start');
  for (const level of levels) {
    const n = Math.max(level, calls);
    const ms = [];
    const cpu0 = process.cpuUsage();
    for (let done = 0; done < n; done += level) ms.push(...(await Promise.all(Array.from({ length: Math.min(level, n - done) }, once))));
    const cpu = process.cpuUsage(cpu0);
    out[level] = { ms, cpuPerExec: (cpu.user + cpu.system) / 1000 / ms.length };
  }
  await mark('end');
  return { byLevel: out };
}

export async function run(ctx) {
  const levels = [1, 5, 20, 100];
  const calls = ctx.quick ? 20 : 100; // per level and child (at least one burst)
  const rounds = ctx.quick ? 1 : 3; // quick: a smoke, no intervals
  const warmup = 5;
  const namespace = await ctx.cluster.createNamespace('exec-conc');
  try {
    const box = await ctx.cluster.readySandbox(namespace);
    const res = await bySide(rounds, (side) =>
      runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, sandbox: box.name, levels, calls, warmup }, { timeoutMs: 600_000, label: `exec-concurrency-${side}` }),
    );
    ctx.counts['exec-concurrency'] = { levels, callsPerLevelPerChild: levels.map((l) => Math.max(l, calls)), childrenPerSide: rounds, warmupPerChild: warmup };
    const lat = (side, l) => res[side].flatMap((r) => r.byLevel[l].ms);
    const cpu = (side, l) => res[side].map((r) => r.byLevel[l].cpuPerExec);
    const metrics = [];
    for (const l of levels) {
      metrics.push(
        metric({ row: 'exec-concurrency', key: `exec-concurrency: latency @${l}`, label: `true, ${l} concurrent: latency`, unit: 'ms', ours: lat('ours', l), theirs: lat('theirs', l), note: `${rounds} children per side, ${Math.max(l, calls)} calls each in bursts of ${l}` }),
        metric({ row: 'exec-concurrency', key: `exec-concurrency: client CPU @${l}`, label: `true, ${l} concurrent: client CPU per exec`, unit: 'ms', ours: cpu('ours', l), theirs: cpu('theirs', l), note: 'process.cpuUsage over the level / calls; one sample per child' }),
      );
    }
    const series = (pick, name, side) => sweepSeries(name, levels.map((l) => ({ x: l, samples: pick(side, l) })));
    ctx.sweeps.push(
      { id: 'exec-concurrency-latency', title: 'exec `true`: latency per call by concurrency', xLabel: 'calls in flight', yLabel: 'ms per exec (median, 95% interval)', logX: true, logY: true, series: [series(lat, 'ours', 'ours'), series(lat, 'client-node', 'theirs')] },
      { id: 'exec-concurrency-cpu', title: 'exec `true`: client CPU per exec by concurrency', xLabel: 'calls in flight', yLabel: 'client CPU ms per exec', logX: true, logY: true, series: [series(cpu, 'ours', 'ours'), series(cpu, 'client-node', 'theirs')] },
    );
    return metrics;
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
