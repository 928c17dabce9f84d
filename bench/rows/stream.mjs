// Streamed stdout: `head -c SIZE /dev/zero` in the Sandbox, read to the end
// by a Writable that only counts bytes. MB/s = SIZE / wall (open to exit
// and the sink finished), MB = 10^6 bytes. kubectl: `kubectl exec ... >
// /dev/null`, wall time of the process.
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { cpuMetrics, lessStartup, metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { gather, withKubectl } from '../lib/rounds.mjs';

export const id = 'stream';
const self = fileURLToPath(import.meta.url);

export async function measure({ side, kubeconfig, namespace, sandbox, bytes, reps }, _notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace });
  const once = async (size) => {
    let got = 0;
    const sink = new Writable({
      highWaterMark: 1 << 20,
      write(chunk, _enc, cb) {
        got += chunk.length;
        cb();
      },
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const h = await d.execStream(sandbox, ['head', '-c', String(size), '/dev/zero']);
    h.stdout.pipe(sink);
    const [{ exitCode }] = await Promise.all([h.wait(), finished(sink)]);
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (exitCode !== 0 || got !== size) throw new Error(`exit ${exitCode}, ${got} of ${size} bytes`);
    return { mbps: size / 1e6 / s, cpuMsPerGB: ((cpu.user + cpu.system) / 1000) * (1e9 / size) };
  };
  await once(16 << 20); // warm-up
  const out = { mbps: [], cpuMsPerGB: [], gb: (reps * bytes) / 1e9 };
  await mark('start');
  for (let i = 0; i < reps; i++) {
    const r = await once(bytes);
    out.mbps.push(r.mbps);
    out.cpuMsPerGB.push(r.cpuMsPerGB);
  }
  await mark('end');
  return out;
}

export async function run(ctx) {
  const bytes = ctx.quick ? 64 << 20 : 256 << 20;
  const rounds = ctx.quick ? 2 : 8;
  const reps = ctx.quick ? 1 : 1;
  const namespace = await ctx.cluster.createNamespace('stream');
  try {
    const box = await ctx.cluster.readySandbox(namespace);
    const kargs = ['exec', '-n', namespace, box.pod, '-c', 'sandbox', '--', 'head', '-c', String(bytes), '/dev/zero'];
    if (ctx.kubectl) await ctx.kubectl(['exec', '-n', namespace, box.pod, '-c', 'sandbox', '--', 'head', '-c', String(16 << 20), '/dev/zero']);
    const res = await withKubectl(rounds, {
      side: (side) => runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, sandbox: box.name, bytes, reps }, { timeoutMs: 600_000, label: `stream-${side}` }),
      kubectl: ctx.kubectl && (() => ctx.kubectlTimes(kargs, reps, { timeoutMs: 600_000 })),
      start: ctx.kubectl && (() => ctx.kubectlStart(reps)),
    });
    const kt = lessStartup(res.kubectl, res.start);
    const kube = (kt.samples ?? []).map((ms) => bytes / 1e6 / (ms / 1000));
    ctx.counts.stream = { bytes, repsPerSide: reps * rounds, kubectlReps: ctx.kubectl ? reps * rounds : 0 };
    const mib = bytes / 2 ** 20;
    return [
      metric({
        row: 'stream',
        label: `stdout ${mib} MiB`,
        unit: 'MB/s',
        better: 'higher',
        ours: gather(res.ours, 'mbps'),
        theirs: gather(res.theirs, 'mbps'),
        kubectl: kube,
        goal: { op: '>=', value: 0.95 },
        kubectlGoal: { op: '>=', value: 0.95 },
        must: 'stream-mbps',
        note: `${reps * rounds} streams in ${rounds} processes per side (after a 16 MiB warm-up); ${ctx.kubectl ? `${kt.note}; ` : ''}goal: >= 0.95 of the better of client-node and kubectl (so >= 0.95 of each)`,
        extra: ctx.kubectl ? { kubectlRawMs: res.kubectl, kubectlStart: res.start } : undefined,
      }),
      metric({
        row: 'stream',
        label: 'stdout: reader CPU per GB',
        unit: 'ms',
        ours: gather(res.ours, 'cpuMsPerGB'),
        theirs: gather(res.theirs, 'cpuMsPerGB'),
        goal: { op: '<=', value: 0.7 },
        must: 'stream-cpu',
        note: 'user+system CPU of the reading process per 10^9 bytes',
      }),
      ...cpuMetrics({ row: 'stream', label: 'stdout', res, ops: (r) => r.gb, unitOp: 'GB' }),
    ];
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
