// Lists of Sandboxes in one namespace, at several sizes (the namespace grows
// between sizes): wall time per full list, bytes read per list, client and
// server CPU per list; heap and RSS growth of a fresh process from its first
// full list. Sizes of PAGE_FROM and more are read in pages of PAGE
// (limit/continue) on both sides.
//
// Compression modes: "equal" (both sides ask for identity: ours always does,
// client-node through a header middleware) and "as shipped" (client-node's
// default Accept-Encoding: gzip,deflate, which the API server honours for
// large responses, against ours). Goals apply to "equal". One more variant
// ("v1beta1") lists at the storage version on both sides: no conversion
// webhook call per object.
//
// Bytes on the wire: in separate, untimed children per side, through a
// counting TCP relay in the parent (lib/relay.mjs): TLS bytes from the API
// server to the client during each list (after a warm-up list on the same
// connection). Not /proc/<pid>/io rchar: Rust's sockets read with recv(),
// which rchar does not count, and Node's with read(), which it does.
//
// The Sandboxes are suspended (spec.replicas 0) so that no pods churn the
// 2-CPU cluster while it is measured.
import { fileURLToPath } from 'node:url';
import { openSide } from '../sides/index.mjs';
import { mapLimit, sandboxManifest } from '../lib/cluster.mjs';
import { growth, settle, snapshot } from '../lib/memory.mjs';
import { cpuMetrics, metric } from '../lib/report.mjs';
import { runChild } from '../lib/proc.mjs';
import { bySide, gather } from '../lib/rounds.mjs';
import { sweepSeries } from '../lib/chart.mjs';
import { startRelay } from '../lib/relay.mjs';

export const id = 'list';
const self = fileURLToPath(import.meta.url);
const PAGE = 500;
const PAGE_FROM = 10_000;

/** Child: `lists` full lists, each bracketed by `notify('list-start')` / `notify('list-end')` (the parent reads the relay's counters). */
export async function wire({ side, kubeconfig, namespace, expect, lists, pageSize, compression, apiVersion }, notify) {
  const d = await openSide(side, { kubeconfig, namespace, compression, apiVersion });
  await d.list({ limit: 1 });
  for (let i = 0; i < lists; i++) {
    await notify('list-start');
    const items = await listAllOf(d, pageSize);
    await notify('list-end');
    if (items.length !== expect) throw new Error(`listed ${items.length}, expected ${expect}`);
  }
  return { ok: true };
}

async function listAllOf(d, pageSize) {
  if (!pageSize) return d.list();
  const items = [];
  let continueToken;
  do {
    const page = await d.listPage({ limit: pageSize, continueToken });
    items.push(...page.items);
    continueToken = page.continueToken;
  } while (continueToken);
  return items;
}

/** KiB from the API server to the client per list, per side: one child per side through the relay. */
async function wireBytes(ctx, relay, args, lists) {
  const out = { ours: [], theirs: [] };
  for (const side of ['ours', 'theirs']) {
    let at;
    const onNotify = (m) => {
      if (m === 'list-start') at = relay.counts.down;
      else if (m === 'list-end') out[side].push((relay.counts.down - at) / 1024);
    };
    await runChild(self, 'wire', { ...args, side, kubeconfig: relay.kubeconfig, lists }, { timeoutMs: 600_000, label: `list-wire-${side}`, onNotify });
  }
  return out;
}

/** Child: memory around the first full list, then `lists` timed lists (with bytes read). */
export async function measure({ side, kubeconfig, namespace, expect, lists, pageSize, compression, apiVersion }, _notify, mark) {
  const d = await openSide(side, { kubeconfig, namespace, compression, apiVersion });
  const listAll = () => listAllOf(d, pageSize);
  await d.list({ limit: 1 }); // connection, TLS and code paths warm; the result is tiny
  await settle();
  const before = snapshot();
  const t0 = performance.now();
  let items = await listAll();
  const first = performance.now() - t0;
  const peak = snapshot();
  await settle();
  const retained = snapshot();
  if (items.length !== expect) throw new Error(`listed ${items.length}, expected ${expect}`);
  const wall = [first];
  await mark('start');
  for (let i = 1; i < lists; i++) {
    items = undefined;
    const t = performance.now();
    items = await listAll();
    wall.push(performance.now() - t);
    if (items.length !== expect) throw new Error(`listed ${items.length}, expected ${expect}`);
  }
  await mark('end');
  return { wall, lists: lists - 1, atPeak: growth(before, peak), retained: growth(before, retained) };
}

export async function run(ctx) {
  const sizes = ctx.quick ? [10, 100, 300] : [10, 100, 1000, 10_000];
  const main = ctx.quick ? 300 : 1000; // the row's headline size (memory, v1beta1, kubectl)
  const plan = (n) => (n >= PAGE_FROM ? { rounds: 3, lists: 3 } : n >= 1000 ? { rounds: 4, lists: 6 } : { rounds: ctx.quick ? 2 : 3, lists: ctx.quick ? 4 : 8 });
  const kn = ctx.quick ? 3 : 10;
  const namespace = await ctx.cluster.createNamespace('list');
  const relay = await startRelay(ctx.kubeconfig);
  const metrics = [];
  const chart = { equal: {}, shipped: {} };
  const counts = { sizes, pageSize: PAGE, pagedFrom: PAGE_FROM, bySize: {} };
  try {
    let have = 0;
    for (const n of sizes) {
      const names = Array.from({ length: n - have }, (_, i) => `sb-${String(have + i).padStart(5, '0')}`);
      const t0 = Date.now();
      await mapLimit(names, 8, (name) => ctx.cluster.createSandbox(namespace, sandboxManifest(name, { replicas: 0, labels: { bench: 'list' } })));
      have = n;
      ctx.log(`list: ${n} Sandboxes (${names.length} created in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      await new Promise((r) => setTimeout(r, n >= 1000 ? 3000 : 1000)); // let the controller's status writes settle
      const { rounds, lists } = plan(n);
      const pageSize = n >= PAGE_FROM ? PAGE : undefined;
      const how = pageSize ? ` (pages of ${PAGE})` : '';
      const variants = [
        { mode: 'equal', compression: 'identity', apiVersion: 'v1alpha1', what: 'equal: both identity' },
        { mode: 'shipped', compression: 'shipped', apiVersion: 'v1alpha1', what: 'as shipped: client-node gzip' },
        ...(n === main ? [{ mode: 'v1beta1', compression: 'identity', apiVersion: 'v1beta1', what: 'v1beta1, no webhook, identity' }] : []),
      ];
      counts.bySize[n] = { childrenPerSide: rounds, timedListsPerChild: lists - 1, variants: variants.map((v) => v.mode) };
      for (const v of variants) {
        const res = await bySide(rounds, (side) =>
          runChild(self, 'measure', { side, kubeconfig: ctx.kubeconfig, namespace, expect: n, lists, pageSize, compression: v.compression, apiVersion: v.apiVersion }, { timeoutMs: 600_000, label: `list-${side}` }),
        );
        const base = `list ${n}${how}`;
        const key = (what) => `list: ${what} @${n} ${v.mode}`;
        let kwall;
        if (ctx.kubectl && n === main && v.mode === 'equal') {
          const args = ['get', 'sandboxes.v1alpha1.agents.x-k8s.io', '-n', namespace, '-o', 'json'];
          await ctx.kubectl(args);
          kwall = [];
          for (let i = 0; i < kn; i++) kwall.push((await ctx.kubectl(args)).ms);
        }
        const wall = metric({
          row: 'list',
          key: key('wall'),
          label: `${base}: wall [${v.what}]`,
          unit: 'ms',
          ours: gather(res.ours, 'wall'),
          theirs: gather(res.theirs, 'wall'),
          kubectl: kwall,
          goal: v.mode === 'equal' && n >= 1000 ? { op: '<=', value: 0.7 } : undefined,
          must: v.mode === 'equal' && (n === 1000 || n === 10_000) ? `list-${n}` : undefined,
          note: `${rounds} children per side x ${lists} lists (the first after a 1-item list, then timed)${kwall ? '; kubectl: a process per list, -o json to /dev/null (it asks for gzip, as client-go does)' : ''}`,
        });
        metrics.push(wall);
        chart[v.mode] && (chart[v.mode][n] = res);
        const wireLists = n >= PAGE_FROM ? 1 : 3;
        const bytes = await wireBytes(ctx, relay, { namespace, expect: n, pageSize, compression: v.compression, apiVersion: v.apiVersion }, wireLists);
        metrics.push(
          metric({
            row: 'list',
            key: key('bytes'),
            label: `${base}: KiB on the wire [${v.what}]`,
            unit: 'KiB',
            ours: bytes.ours,
            theirs: bytes.theirs,
            note: `server-to-client TLS bytes per full list, counted by a TCP relay in the parent; ${wireLists} lists per side in an untimed child (not in the timed children)`,
          }),
        );
        metrics.push(...cpuMetrics({ row: 'list', label: `${base} [${v.what}]`, res, ops: (r) => r.lists, unitOp: 'list' }).map((m, i) => ({ ...m, key: key(i ? 'server CPU' : 'client CPU') })));
        if (n === main && v.mode === 'equal') {
          const mem = (side, when, k) => res[side].map((r) => r[when][k]);
          metrics.push(
            metric({
              row: 'list',
              key: 'list: heap growth (retained)',
              label: `list ${n}: heap growth (retained)`,
              unit: 'MiB',
              ours: mem('ours', 'retained', 'heapUsed'),
              theirs: mem('theirs', 'retained', 'heapUsed'),
              note: 'heapUsed after GC with the list still referenced, minus before',
            }),
            metric({
              row: 'list',
              key: 'list: RSS growth',
              label: `list ${n}: RSS growth`,
              unit: 'MiB',
              ours: mem('ours', 'atPeak', 'rss'),
              theirs: mem('theirs', 'atPeak', 'rss'),
              note: 'RSS right after the first list, minus before',
              extra: {
                heapAtPeak: { ours: mem('ours', 'atPeak', 'heapUsed'), theirs: mem('theirs', 'atPeak', 'heapUsed') },
                rssRetained: { ours: mem('ours', 'retained', 'rss'), theirs: mem('theirs', 'retained', 'rss') },
              },
            }),
          );
        }
      }
    }
    ctx.counts.list = counts;
    const series = (mode, sideName, side) => sweepSeries(`${sideName}`, sizes.map((n) => ({ x: n, samples: gather(chart[mode][n][side], 'wall') })));
    ctx.sweeps.push({
      id: 'list',
      title: 'list: wall time per full list by size (10,000: pages of 500)',
      xLabel: 'Sandboxes in the namespace',
      yLabel: 'ms per list (median, 95% interval)',
      logX: true,
      logY: true,
      series: [series('equal', 'ours', 'ours'), series('equal', 'client-node (identity)', 'theirs'), series('shipped', 'client-node (gzip, as shipped)', 'theirs')],
    });
    return metrics;
  } finally {
    await relay.close();
    await ctx.cluster.deleteNamespace(namespace, { timeoutMs: 600_000 });
  }
}
