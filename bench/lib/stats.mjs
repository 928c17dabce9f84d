// Summaries of samples: median and p99 (nearest rank), plus min, max, mean.

export function quantile(sorted, q) {
  if (sorted.length === 0) return undefined;
  // Nearest-rank: the smallest sample with at least q of the samples at or below it.
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function median(samples) {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `{n, median, p99, min, max, mean}` of a list of numbers (undefined when empty). */
export function summarize(samples) {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, median: median(s), p99: quantile(s, 0.99), min: s[0], max: s[s.length - 1], mean };
}

/** Wall-clock epoch milliseconds with sub-millisecond resolution (comparable across processes on one host). */
export const epochMs = () => performance.timeOrigin + performance.now();

/** A seeded PRNG (mulberry32): the same intervals for the same samples, run after run. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const BOOTSTRAP = { resamples: 4000, level: 0.95, seed: 0x5eed };

function resampledMedian(samples, rand, scratch) {
  const n = samples.length;
  for (let i = 0; i < n; i++) scratch[i] = samples[(rand() * n) | 0];
  scratch.sort((a, b) => a - b);
  const mid = n >> 1;
  return n % 2 ? scratch[mid] : (scratch[mid - 1] + scratch[mid]) / 2;
}

/**
 * Percentile bootstrap interval of median(a) / median(b): each side
 * resampled on its own (with replacement, same size), `resamples` times.
 * Returns `{lo, hi, level, resamples}`, or undefined without samples on
 * both sides (or with a median not above zero).
 */
export function ratioInterval(a, b, { resamples = BOOTSTRAP.resamples, level = BOOTSTRAP.level, seed = BOOTSTRAP.seed } = {}) {
  const xa = (a ?? []).filter(Number.isFinite);
  const xb = (b ?? []).filter(Number.isFinite);
  if (xa.length === 0 || xb.length === 0) return undefined;
  const rand = prng(seed);
  const sa = new Float64Array(xa.length);
  const sb = new Float64Array(xb.length);
  const ratios = [];
  for (let i = 0; i < resamples; i++) {
    const mb = resampledMedian(xb, rand, sb);
    if (!(mb > 0)) continue;
    ratios.push(resampledMedian(xa, rand, sa) / mb);
  }
  if (ratios.length < resamples * 0.9) return undefined;
  ratios.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  const at = (q) => ratios[Math.min(ratios.length - 1, Math.max(0, Math.floor(q * ratios.length)))];
  return { lo: at(tail), hi: at(1 - tail), level, resamples };
}

/** Percentile bootstrap interval of one side's median (for charts). */
export function medianInterval(samples, { resamples = BOOTSTRAP.resamples, level = BOOTSTRAP.level, seed = BOOTSTRAP.seed } = {}) {
  const x = (samples ?? []).filter(Number.isFinite);
  if (x.length === 0) return undefined;
  const rand = prng(seed);
  const s = new Float64Array(x.length);
  const meds = Array.from({ length: resamples }, () => resampledMedian(x, rand, s)).sort((p, q) => p - q);
  const tail = (1 - level) / 2;
  return { lo: meds[Math.floor(tail * resamples)], hi: meds[Math.min(resamples - 1, Math.floor((1 - tail) * resamples))], level, resamples };
}
