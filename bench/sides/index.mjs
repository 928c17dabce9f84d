// Loads one side in the calling process only (a child measures one side, so
// its heap holds nothing of the other library).
export const SIDES = ['ours', 'theirs'];

export async function openSide(side, options) {
  if (!SIDES.includes(side)) throw new Error(`unknown side ${side}`);
  const mod = await import(`./${side}.mjs`);
  return mod.open(options);
}
