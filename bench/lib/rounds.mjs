// Alternating sides: round r runs ours then theirs when r is even, theirs
// then ours when odd (ABBA), so drift of the cluster hits both alike.
export async function bySide(rounds, fn) {
  const out = { ours: [], theirs: [] };
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 ? ['theirs', 'ours'] : ['ours', 'theirs']) out[side].push(await fn(side, r));
  }
  return out;
}

/** Concatenates one field of every round's result. */
export const gather = (results, key) => results.flatMap((r) => r[key]);

/**
 * Ours, client-node, kubectl and kubectl's start-up, interleaved in a
 * rotating order (round r starts with the r-th of them), so drift of the
 * cluster hits all alike. `side(name, r)` runs one child of ours or theirs;
 * `kubectl(r)` a batch of kubectl processes, resolving their wall times;
 * `start(r)` a batch of `kubectl version --client -o json` (start-up only).
 * Without kubectl, it is bySide's ABBA order.
 */
export async function withKubectl(rounds, { side, kubectl, start }) {
  if (!kubectl) return { ...(await bySide(rounds, side)), kubectl: [], start: [] };
  const runs = { ours: (r) => side('ours', r), theirs: (r) => side('theirs', r), kubectl, start };
  const names = Object.keys(runs);
  const out = { ours: [], theirs: [], kubectl: [], start: [] };
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const n = names[(r + i) % names.length];
      const v = await runs[n](r);
      if (n === 'kubectl' || n === 'start') out[n].push(...v);
      else out[n].push(v);
    }
  }
  return out;
}
