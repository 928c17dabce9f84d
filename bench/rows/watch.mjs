// Watch: a writer process makes N changes (merge patches of an annotation
// carrying a sequence number, round-robin over a few Sandboxes) while a
// watcher process, one side's watch, records when each change reaches its
// JS callback. Measured: the watcher's CPU time over the N events
// (process.cpuUsage, all threads) and the delivery latency (event arrival
// minus the writer's receipt of the PATCH response; same host clock).
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { GROUP, PLURAL, VERSION, mapLimit, sandboxManifest } from '../lib/cluster.mjs';
import { cpuMetrics, metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { bySide } from '../lib/rounds.mjs';
import { epochMs } from '../lib/stats.mjs';

export const id = 'watch';
const self = fileURLToPath(import.meta.url);
const SEQ = 'bench.agent-sandbox-sdk/seq';
const LANES = 4; // PATCHes in flight (objects % LANES === 0)

/** Child: one side's watch; reports 'ready' once the initial state is in, then counts the run's changes. */
export async function watcher({ side, kubeconfig, namespace, names, changes, runId, timeoutMs, apiVersion = VERSION }, notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace, apiVersion });
  const arrivals = new Array(changes).fill(null);
  const initial = new Set();
  const prefix = `${runId}:`;
  let seen = 0;
  let others = 0;
  let onReady;
  let onDone;
  const ready = new Promise((r) => (onReady = r));
  const done = new Promise((r) => (onDone = r));
  const w = d.watch((type, obj) => {
    const t = epochMs();
    const value = obj?.metadata?.annotations?.[SEQ];
    if (type === 'MODIFIED' && typeof value === 'string' && value.startsWith(prefix)) {
      const seq = Number(value.slice(prefix.length));
      if (arrivals[seq] === null) {
        arrivals[seq] = t;
        if (++seen === changes) onDone();
      }
      return;
    }
    if (type === 'ADDED' && initial.size < names.length) {
      initial.add(obj.metadata.name);
      if (initial.size === names.length) onReady();
      return;
    }
    others++;
  });
  const within = async (promise, ms, what) => {
    let timer;
    const expired = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms)));
    try {
      return await Promise.race([promise, expired]);
    } finally {
      clearTimeout(timer);
    }
  };
  // A watch that ends early is an error here, not a silent wait.
  const endedEarly = w.ended.then(
    () => Promise.reject(new Error(`the ${side} watch ended by itself`)),
    (err) => Promise.reject(new Error(`the ${side} watch failed: ${err?.message ?? err}`)),
  );
  endedEarly.catch(() => {});
  await within(Promise.race([ready, endedEarly]), 60_000, 'initial ADDED events incomplete');
  await mark('start');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await notify('ready');
  let timedOut = false;
  await within(Promise.race([done, endedEarly]), timeoutMs, 'changes missing').catch((err) => {
    if (!/changes missing/.test(err.message)) throw err;
    timedOut = true;
  });
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  await mark('end');
  await w.stop();
  return { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, wallMs, arrivals, seen, others, timedOut };
}

/**
 * Child: the changes (the same writer for both sides). `lanes` PATCHes in
 * flight, each lane owning its own Sandboxes, so every object's changes
 * stay in order.
 */
export async function writer({ kubeconfig, namespace, names, changes, runId, lanes, apiVersion = VERSION }) {
  const sdk = await import('../../index.js');
  const kc = sdk.loadKubeConfig({ kubeconfigPath: kubeconfig });
  const crud = new sdk.CustomResourceCrud(kc, { group: GROUP, version: apiVersion, plural: PLURAL }, { apiVersion });
  const sent = new Array(changes);
  const received = new Array(changes);
  const lane = async (l) => {
    for (let i = l; i < changes; i += lanes) {
      sent[i] = epochMs();
      await crud.patch(namespace, names[i % names.length], { metadata: { annotations: { [SEQ]: `${runId}:${i}` } } });
      received[i] = epochMs();
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, l) => lane(l)));
  return { sent, received };
}

export async function run(ctx) {
  const changes = ctx.quick ? 300 : 1000;
  const betaChanges = ctx.quick ? 200 : 500;
  const rounds = ctx.quick ? 2 : 5; // 8 before the sweeps: the full run's time (README)
  const objects = 20;
  const namespace = await ctx.cluster.createNamespace('watch');
  try {
    const names = Array.from({ length: objects }, (_, i) => `w-${i}`);
    await mapLimit(names, 4, (n) => ctx.cluster.createSandbox(namespace, sandboxManifest(n, { replicas: 0 })));
    await new Promise((r) => setTimeout(r, 2000));
    let runs = 0;
    const oneRun = async (side, changes, apiVersion) => {
      const runId = `r${++runs}`;
      const args = { side, kubeconfig: ctx.kubeconfig, namespace, names, changes, runId, lanes: LANES, timeoutMs: changes * 25 + 30_000, apiVersion };
      let readyNow;
      const isReady = new Promise((r) => (readyNow = r));
      const watching = runChild(self, 'watcher', args, { timeoutMs: args.timeoutMs + 90_000, label: `watch-${side}`, onNotify: (m) => m === 'ready' && readyNow() });
      await Promise.race([isReady, watching]);
      const written = await runChild(self, 'writer', args, { timeoutMs: args.timeoutMs, label: `watch-writer-${side}` });
      const w = await watching;
      if (w.timedOut) ctx.log(`watch ${side}: only ${w.seen} of ${changes} changes arrived before the deadline`);
      const latency = [];
      const fromSend = [];
      w.arrivals.forEach((t, i) => {
        if (t === null) return;
        latency.push(t - written.received[i]);
        fromSend.push(t - written.sent[i]);
      });
      const writeMs = Math.max(...written.received) - written.sent[0];
      return { cpu: w.cpu, events: w.seen, cpuMs: w.userMs + w.systemMs, userMs: w.userMs, systemMs: w.systemMs, latency, fromSend, missed: changes - w.seen, others: w.others, writeMs };
    };
    const res = await bySide(rounds, (side) => oneRun(side, changes, VERSION));
    // Both the watch and the writer at the storage version (v1beta1): no conversion webhook call per event.
    const beta = await bySide(rounds, (side) => oneRun(side, betaChanges, 'v1beta1'));
    const missed = [...res.ours, ...res.theirs].reduce((a, r) => a + r.missed, 0);
    ctx.counts.watch = { changes, objects, runsPerSide: rounds, missed, v1beta1: { changes: betaChanges, runsPerSide: rounds, missed: [...beta.ours, ...beta.theirs].reduce((a, r) => a + r.missed, 0) } };
    const pick = (side, k) => res[side].map((r) => r[k]);
    const all = (side, k) => res[side].flatMap((r) => r[k]);
    const all2 = (r, side, k) => r[side].flatMap((x) => x[k]);
    const rate = Math.round(changes / (res.ours.concat(res.theirs).reduce((a, r) => a + r.writeMs, 0) / (2 * rounds) / 1000));
    return [
      metric({
        row: 'watch',
        label: `CPU for ${changes} changes`,
        unit: 'ms',
        ours: pick('ours', 'cpuMs'),
        theirs: pick('theirs', 'cpuMs'),
        note: `watcher process user+system CPU from initial state to the last change; ${rounds} runs per side; ${objects} Sandboxes, one writer process, ${LANES} PATCHes in flight (~${rate} PATCH/s)${missed ? `; ${missed} changes never arrived` : ''}`,
        extra: { userMs: { ours: pick('ours', 'userMs'), theirs: pick('theirs', 'userMs') }, systemMs: { ours: pick('ours', 'systemMs'), theirs: pick('theirs', 'systemMs') }, otherEvents: { ours: pick('ours', 'others'), theirs: pick('theirs', 'others') } },
      }),
      metric({
        row: 'watch',
        label: 'delivery latency from PATCH sent',
        unit: 'ms',
        ours: all('ours', 'fromSend'),
        theirs: all('theirs', 'fromSend'),
        note: 'callback time minus the time the writer sent the PATCH (includes the apiserver\'s work, the same for both)',
      }),
      metric({
        row: 'watch',
        label: 'delivery after PATCH response',
        unit: 'ms',
        ours: all('ours', 'latency'),
        theirs: all('theirs', 'latency'),
        note: 'callback time minus the time the writer had the PATCH response; negative: the event reached the watcher first (no ratio then)',
      }),
      ...cpuMetrics({ row: 'watch', label: 'watch', res, ops: (r) => r.events, unitOp: 'event', goal: { op: '<=', value: 0.4 }, must: 'watch-cpu', note: 'server CPU includes handling the writer\'s PATCHes (the same for both sides)' }),
      metric({
        row: 'watch',
        label: `CPU for ${betaChanges} changes [v1beta1, no webhook]`,
        unit: 'ms',
        ours: beta.ours.map((r) => r.cpuMs),
        theirs: beta.theirs.map((r) => r.cpuMs),
        note: `watch and writer at the storage version v1beta1 (no conversion webhook); ${rounds} runs per side`,
      }),
      metric({ row: 'watch', label: 'delivery after PATCH response [v1beta1]', unit: 'ms', ours: all2(beta, 'ours', 'latency'), theirs: all2(beta, 'theirs', 'latency') }),
      ...cpuMetrics({ row: 'watch', label: 'watch [v1beta1]', res: beta, ops: (r) => r.events, unitOp: 'event', goal: { op: '<=', value: 0.4 } }),
    ];
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
