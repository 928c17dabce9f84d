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
