// Cold import: a new Node process that only imports the package. Measured
// two ways: the import itself (timed inside the process) and the process's
// wall time; an empty `node` start is the floor of the second.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { metric } from '../lib/report.mjs';
import { REPO_ROOT, runCommand } from '../lib/proc.mjs';
import { median } from '../lib/stats.mjs';

export const id = 'import';

const probe = (specifier) =>
  `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;

export async function run(ctx) {
  const n = ctx.quick ? 5 : 20;
  const targets = {
    ours: probe(pathToFileURL(join(REPO_ROOT, 'index.js')).href),
    theirs: probe('@kubernetes/client-node'),
    empty: 'process.stdout.write("0")',
  };
  const inProcess = { ours: [], theirs: [] };
  const wall = { ours: [], theirs: [], empty: [] };
  const once = async (side) => {
    const r = await runCommand(process.execPath, ['--input-type=module', '-e', targets[side]], { capture: true, timeoutMs: 30_000 });
    wall[side].push(r.ms);
    if (side !== 'empty') inProcess[side].push(Number(r.stdout));
  };
  // One untimed round fills the OS file cache (the "cold" is the process, not the disk).
  for (const side of ['ours', 'theirs', 'empty']) await once(side);
  for (const k of Object.keys(wall)) wall[k].length = 0;
  inProcess.ours.length = inProcess.theirs.length = 0;
  for (let i = 0; i < n; i++) {
    for (const side of i % 2 ? ['theirs', 'ours', 'empty'] : ['ours', 'theirs', 'empty']) await once(side);
  }
  ctx.counts.import = { processes: n };
  return [
    metric({
      row: 'import',
      label: 'cold import, in-process',
      unit: 'ms',
      ours: inProcess.ours,
      theirs: inProcess.theirs,
      goal: { op: '<=', value: 0.25 },
      note: `await import() timed inside a new process; ${n} processes per side, alternating`,
    }),
    metric({
      row: 'import',
      label: 'cold import, process wall',
      unit: 'ms',
      ours: wall.ours,
      theirs: wall.theirs,
      note: `spawn to exit; an empty node process takes ${median(wall.empty).toFixed(1)} ms (median)`,
      extra: { emptyNodeMs: wall.empty },
    }),
  ];
}
