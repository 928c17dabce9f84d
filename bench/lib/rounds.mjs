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
