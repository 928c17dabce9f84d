// Sweep: watch at a paced rate of changes (10, 100, 1,000 per second). A
// writer process schedules change i at start + i / rate (merge patches of
// an annotation with a sequence number, LANES in flight, each lane owning
// its own Sandboxes so every object's changes stay in order); a watcher
// process (one side) counts the changes reaching its callback(s). Measured:
// the watcher's CPU (process.cpuUsage, all threads) from its initial state
// to the last change, per event. The rate the writer reached is recorded
// (at 1,000/s the 2-CPU cluster does not keep up: x is the target rate,
// the rate reached is in the note, the chart and counts).
// Also home of the watcher with N watches used by the `watchers` sweep.
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { GROUP, PLURAL, mapLimit, sandboxManifest } from '../lib/cluster.mjs';
import { sweepSeries } from '../lib/chart.mjs';
import { metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { epochMs } from '../lib/stats.mjs';
import { bySide } from '../lib/rounds.mjs';

export const id = 'watch-rate';
export const self = fileURLToPath(import.meta.url);
const SEQ = 'bench.agent-sandbox-sdk/seq';
export const LANES = 8;
export const OBJECTS = 24; // a multiple of LANES
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Child: `watches` watches of one side on the namespace; 'ready' once each has the initial state; done when each saw every change. */
export async function watcher({ side, kubeconfig, namespace, names, changes, runId, watches, timeoutMs }, notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace });
  const prefix = `${runId}:`;
  let ready = 0;
  let complete = 0;
  let onReady;
  let onDone;
  const allReady = new Promise((r) => (onReady = r));
  const allDone = new Promise((r) => (onDone = r));
  const handles = [];
  const seen = [];
  for (let w = 0; w < watches; w++) {
    const initial = new Set();
    const got = new Uint8Array(changes);
    let count = 0;
    seen.push(() => count);
    handles.push(
      d.watch((type, obj) => {
        const value = obj?.metadata?.annotations?.[SEQ];
        if (type === 'MODIFIED' && typeof value === 'string' && value.startsWith(prefix)) {
          const i = Number(value.slice(prefix.length));
          if (!got[i]) {
            got[i] = 1;
            if (++count === changes && ++complete === watches) onDone();
          }
        } else if (type === 'ADDED' && initial.size < names.length) {
          initial.add(obj.metadata.name);
          if (initial.size === names.length && ++ready === watches) onReady();
        }
      }),
    );
  }
  const deadline = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms).unref());
  await Promise.race([allReady, deadline(120_000, `initial state incomplete (${ready} of ${watches} watches)`)]);
  await mark('start');
  const cpu0 = process.cpuUsage();
  await notify('ready');
  let timedOut = false;
  await Promise.race([allDone, deadline(timeoutMs, 'changes missing')]).catch(() => (timedOut = true));
  const cpu = process.cpuUsage(cpu0);
  await mark('end');
  const events = seen.reduce((a, f) => a + f(), 0);
  await Promise.all(handles.map((h) => h.stop()));
  return { cpuMs: (cpu.user + cpu.system) / 1000, events, timedOut };
}

/** Child: `changes` patches paced at `rate` per second (change i not before start + i / rate). */
export async function writer({ kubeconfig, namespace, names, changes, runId, rate }) {
  const sdk = await import('../../index.js');
  const kc = sdk.loadKubeConfig({ kubeconfigPath: kubeconfig });
  // The writer patches at the storage version (v1beta1): no conversion
  // webhook call per PATCH, which on 2 CPUs capped v1alpha1 writes near
  // 30/s whatever the lanes. The watches stay at v1alpha1, as the original.
  const crud = new sdk.CustomResourceCrud(kc, { group: GROUP, version: 'v1beta1', plural: PLURAL }, { apiVersion: 'v1beta1' });
  const t0 = performance.now() + 20;
  let first;
  let last;
  const lane = async (l) => {
    for (let i = l; i < changes; i += LANES) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      first ??= epochMs();
      await crud.patch(namespace, names[i % names.length], { metadata: { annotations: { [SEQ]: `${runId}:${i}` } } });
      last = epochMs();
    }
  };
  await Promise.all(Array.from({ length: LANES }, (_, l) => lane(l)));
  return { achieved: changes / ((last - first) / 1000) };
}

/** Suspended Sandboxes for the writer. */
export async function setup(ctx, prefix) {
  const namespace = await ctx.cluster.createNamespace(prefix);
  const names = Array.from({ length: OBJECTS }, (_, i) => `w-${i}`);
  await mapLimit(names, 4, (n) => ctx.cluster.createSandbox(namespace, sandboxManifest(n, { replicas: 0 })));
  await sleep(2000);
  return { namespace, names };
}

let runs = 0;
/** One watcher child of `side` with `watches` watches, and the writer: `{cpuMs, events, cpuPerEvent, achieved}`. */
export async function oneRun(ctx, { side, namespace, names, changes, rate, watches }) {
  const runId = `p${++runs}`;
  const timeoutMs = (changes / Math.min(rate, 200)) * 1000 * 3 + 30_000;
  const args = { side, kubeconfig: ctx.kubeconfig, namespace, names, changes, runId, watches, rate, timeoutMs };
  let readyNow;
  const isReady = new Promise((r) => (readyNow = r));
  const watching = runChild(self, 'watcher', args, { timeoutMs: timeoutMs + 150_000, label: `watch-sweep-${side}`, onNotify: (m) => m === 'ready' && readyNow() });
  await Promise.race([isReady, watching]);
  const w = await runChild(self, 'writer', args, { timeoutMs, label: 'watch-sweep-writer' });
  const r = await watching;
  if (r.timedOut) ctx.log(`${side}: ${r.events} of ${changes * watches} events before the deadline (${watches} watches, ${rate}/s)`);
  return { ...r, cpuPerEvent: r.cpuMs / r.events, achieved: w.achieved };
}

export async function run(ctx) {
  const rates = [10, 100, 1000];
  const changesAt = ctx.quick ? { 10: 20, 100: 100, 1000: 200 } : { 10: 50, 100: 300, 1000: 1000 };
  const rounds = ctx.quick ? 1 : 3; // quick: a smoke, no intervals
  const { namespace, names } = await setup(ctx, 'watch-rate');
  try {
    const res = {};
    for (const rate of rates) {
      res[rate] = await bySide(rounds, (side) => oneRun(ctx, { side, namespace, names, changes: changesAt[rate], rate, watches: 1 }));
    }
    const achieved = (rate) => [...res[rate].ours, ...res[rate].theirs].map((x) => Math.round(x.achieved));
    ctx.counts['watch-rate'] = { rates, changes: changesAt, runsPerSide: rounds, lanes: LANES, objects: OBJECTS, achievedPerS: Object.fromEntries(rates.map((r) => [r, achieved(r)])) };
    const cpu = (side, rate) => res[rate][side].map((x) => x.cpuPerEvent);
    const metrics = rates.map((rate) =>
      metric({
        row: 'watch-rate',
        key: `watch-rate: CPU per event @${rate}`,
        label: `${rate}/s target: watcher CPU per event`,
        unit: 'ms',
        ours: cpu('ours', rate),
        theirs: cpu('theirs', rate),
        note: `${changesAt[rate]} changes, ${rounds} runs per side; writer reached ${achieved(rate).join(', ')} /s; CPU from the initial state to the last change / events (idle CPU included)`,
        extra: { missed: Object.fromEntries(['ours', 'theirs'].map((s) => [s, res[rate][s].map((x) => changesAt[rate] - x.events)])) },
      }),
    );
    const series = (name, side) => sweepSeries(name, rates.map((rate) => ({ x: rate, samples: cpu(side, rate) })));
    ctx.sweeps.push({ id: 'watch-rate', title: 'watch: watcher CPU per event by change rate', xLabel: 'changes per second (target)', yLabel: 'watcher CPU ms per event', logX: true, logY: true, note: `one watch per process; writer reached (median) ${rates.map((r) => `${r}: ${achieved(r).sort((a, b) => a - b)[achieved(r).length >> 1]}`).join(', ')} /s`, series: [series('ours', 'ours'), series('client-node', 'theirs')] });
    return metrics;
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
