// Exec of `true` in a Ready Sandbox: latency of sequential calls, and of
// calls started 20 at a time. Both sides resolve the pod from the Sandbox
// on every call (the original did). kubectl: `kubectl exec POD -- true`,
// a process per call.
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { cpuMetrics, lessStartup, metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { gather, withKubectl } from '../lib/rounds.mjs';
import { timedTrue } from '../lib/timed-exec.mjs';

export const id = 'exec';
const self = fileURLToPath(import.meta.url);
const WARMUP = 5;

export async function measure({ side, kubeconfig, namespace, sandbox, sequential, concurrency, bursts }, _notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace });
  const once = () => timedTrue(d, sandbox);
  for (let i = 0; i < WARMUP; i++) await once();
  await mark('start');
  const seq = [];
  for (let i = 0; i < sequential; i++) seq.push(await once());
  const conc = [];
  for (let b = 0; b < bursts; b++) conc.push(...(await Promise.all(Array.from({ length: concurrency }, once))));
  await mark('end');
  return { seq, conc, calls: seq.length + conc.length };
}

export async function run(ctx) {
  const sequential = ctx.quick ? 30 : 200;
  const concurrency = 20;
  const bursts = ctx.quick ? 2 : 8;
  const rounds = ctx.quick ? 2 : 4;
  const nk = ctx.quick ? 10 : 48;
  const namespace = await ctx.cluster.createNamespace('exec');
  try {
    const box = await ctx.cluster.readySandbox(namespace);
    const kargs = ['exec', '-n', namespace, box.pod, '-c', 'sandbox', '--', 'true'];
    if (ctx.kubectl) await ctx.kubectl(kargs);
    const res = await withKubectl(rounds, {
      side: (side) =>
        runChild(
          self,
          'measure',
          { side, kubeconfig: ctx.kubeconfig, namespace, sandbox: box.name, sequential: sequential / rounds, concurrency, bursts: bursts / rounds },
          { timeoutMs: 300_000, label: `exec-${side}` },
        ),
      kubectl: ctx.kubectl && (() => ctx.kubectlTimes(kargs, nk / rounds)),
      start: ctx.kubectl && (() => ctx.kubectlStart(nk / rounds)),
    });
    const kseq = lessStartup(res.kubectl, res.start);
    ctx.counts.exec = { sequential, concurrency, bursts, warmupPerChild: WARMUP, kubectlSequential: ctx.kubectl ? nk : 0 };
    return [
      metric({
        row: 'exec',
        label: `true, ${sequential} sequential`,
        unit: 'ms',
        ours: gather(res.ours, 'seq'),
        theirs: gather(res.theirs, 'seq'),
        kubectl: kseq.samples,
        extra: ctx.kubectl ? { kubectlRaw: res.kubectl, kubectlStart: res.start } : undefined,
        goal: { op: '<=', value: 0.7 },
        note: `${rounds} alternating children per side (+${WARMUP} untimed calls each)${ctx.kubectl ? `; ${kseq.note}` : ''}`,
      }),
      metric({
        row: 'exec',
        label: `true, ${concurrency} concurrent`,
        unit: 'ms',
        ours: gather(res.ours, 'conc'),
        theirs: gather(res.theirs, 'conc'),
        goal: { op: '<=', value: 0.7 },
        must: 'exec-20',
        note: `${bursts} bursts of ${concurrency} calls started together; latency of each call`,
      }),
      ...cpuMetrics({ row: 'exec', label: 'true', res, ops: (r) => r.calls, unitOp: 'exec', note: 'sequential and concurrent calls together' }),
    ];
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
