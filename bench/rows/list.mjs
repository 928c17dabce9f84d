// List of 1,000 Sandboxes in one namespace: wall time of each list call,
// and the heap and RSS growth of a fresh process from its first full list.
// The Sandboxes are suspended (spec.replicas 0) so that 1,000 pods do not
// churn the 2-CPU cluster while it is measured.
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { mapLimit, sandboxManifest } from '../lib/cluster.mjs';
import { growth, settle, snapshot } from '../lib/memory.mjs';
import { metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { bySide, gather } from '../lib/rounds.mjs';

export const id = 'list';
const self = fileURLToPath(import.meta.url);

/** Child: memory around the first full list, then `lists` timed lists. */
export async function measure({ side, kubeconfig, namespace, expect, lists }) {
  const d = await openSide(side, { kubeconfig, namespace });
  await d.list({ limit: 1 }); // connection, TLS and code paths warm; the result is tiny
  await settle();
  const before = snapshot();
  const t0 = performance.now();
  let items = await d.list();
  const first = performance.now() - t0;
  const peak = snapshot();
  await settle();
  const retained = snapshot();
  if (items.length !== expect) throw new Error(`listed ${items.length}, expected ${expect}`);
  const wall = [first];
  for (let i = 1; i < lists; i++) {
    items = undefined;
    const t = performance.now();
    items = await d.list();
    wall.push(performance.now() - t);
    if (items.length !== expect) throw new Error(`listed ${items.length}, expected ${expect}`);
  }
  return { wall, atPeak: growth(before, peak), retained: growth(before, retained) };
}

export async function run(ctx) {
  const count = ctx.quick ? 300 : 1000;
  const rounds = ctx.quick ? 2 : 4;
  const lists = ctx.quick ? 3 : 6;
  const kn = ctx.quick ? 3 : 10;
  const namespace = await ctx.cluster.createNamespace('list');
  try {
    const names = Array.from({ length: count }, (_, i) => `sb-${String(i).padStart(4, '0')}`);
    const t0 = Date.now();
    await mapLimit(names, 8, (name) => ctx.cluster.createSandbox(namespace, sandboxManifest(name, { replicas: 0, labels: { bench: 'list' } })));
    ctx.log(`list: created ${count} Sandboxes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 3000)); // let the controller's status writes settle
    const res = await bySide(rounds, (side) =>
      runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, expect: count, lists }, { timeoutMs: 300_000, label: `list-${side}` }),
    );
    const kwall = [];
    if (ctx.kubectl) {
      const args = ['get', 'sandboxes.v1alpha1.agents.x-k8s.io', '-n', namespace, '-o', 'json'];
      await ctx.kubectl(args);
      for (let i = 0; i < kn; i++) kwall.push((await ctx.kubectl(args)).ms);
    }
    ctx.counts.list = { sandboxes: count, childrenPerSide: rounds, listsPerChild: lists, kubectlLists: ctx.kubectl ? kn : 0 };
    const mem = (side, when, key) => res[side].map((r) => r[when][key]);
    return [
      metric({
        row: 'list',
        label: `list ${count}: wall`,
        unit: 'ms',
        ours: gather(res.ours, 'wall'),
        theirs: gather(res.theirs, 'wall'),
        kubectl: kwall,
        goal: { op: '<=', value: 0.7 },
        note: `${rounds} children per side x ${lists} lists (the first one after a 1-item list); kubectl: a process per list, -o json to /dev/null`,
      }),
      metric({
        row: 'list',
        label: `list ${count}: heap growth (retained)`,
        unit: 'MiB',
        ours: mem('ours', 'retained', 'heapUsed'),
        theirs: mem('theirs', 'retained', 'heapUsed'),
        note: 'heapUsed after GC with the list still referenced, minus before',
      }),
      metric({
        row: 'list',
        label: `list ${count}: RSS growth`,
        unit: 'MiB',
        ours: mem('ours', 'atPeak', 'rss'),
        theirs: mem('theirs', 'atPeak', 'rss'),
        note: 'RSS right after the first list, minus before',
        extra: {
          heapAtPeak: { ours: mem('ours', 'atPeak', 'heapUsed'), theirs: mem('theirs', 'atPeak', 'heapUsed') },
          rssRetained: { ours: mem('ours', 'retained', 'rss'), theirs: mem('theirs', 'retained', 'rss') },
        },
      }),
    ];
  } finally {
    await ctx.cluster.deleteNamespace(namespace);
  }
}
