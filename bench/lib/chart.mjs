// Sweeps as small SVG line charts, written by hand: axes with ticks (log or
// linear), one line per side, the median's bootstrap 95% interval as error
// bars, a legend. No dependencies.
import { median, medianInterval } from './stats.mjs';

/** A chart series from `[{x, samples}]`: median and its 95% interval per point. */
export function sweepSeries(name, points) {
  return {
    name,
    points: points
      .filter((p) => p.samples?.some(Number.isFinite))
      .map((p) => {
        const s = p.samples.filter(Number.isFinite);
        const ci = medianInterval(s);
        return { x: p.x, median: median(s), lo: ci?.lo, hi: ci?.hi, n: s.length };
      }),
  };
}

const COLORS = ['#1f77b4', '#d62728', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'];
const DASH = ['', '6 3', '2 3', '8 3 2 3', '', ''];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (x) => {
  const a = Math.abs(x);
  if (a >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(x / 1e3).toPrecision(3)}k`;
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return +x.toPrecision(3) + '';
  return +x.toPrecision(2) + '';
};

function scale(lo, hi, log, from, to) {
  if (log) {
    const a = Math.log10(lo);
    const b = Math.log10(hi);
    return (v) => from + ((Math.log10(v) - a) / (b - a || 1)) * (to - from);
  }
  return (v) => from + ((v - lo) / (hi - lo || 1)) * (to - from);
}

function ticks(lo, hi, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
    }
    return out.length >= 2 ? out : [lo, hi];
  }
  const step0 = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(step0 || 1));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

/**
 * `{title, xLabel, yLabel, logX, logY, series: [{name, points: [{x, median, lo, hi}]}], note}`
 * to an SVG document (string).
 */
export function renderSvg(sweep) {
  const W = 760;
  const H = 440;
  const m = { l: 80, r: 230, t: 44, b: 64 };
  const pts = sweep.series.flatMap((s) => s.points);
  if (pts.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="80"><text x="10" y="40">${esc(sweep.title)}: no data</text></svg>\n`;
  const xs = pts.map((p) => p.x);
  const ys = pts.flatMap((p) => [p.median, p.lo ?? p.median, p.hi ?? p.median]).filter((v) => Number.isFinite(v) && (!sweep.logY || v > 0));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const logX = sweep.logX && x0 > 0;
  const logY = sweep.logY && y0 > 0;
  if (logX) [x0, x1] = [x0 / 1.3, x1 * 1.3];
  else [x0, x1] = [x0 - (x1 - x0) * 0.05 || x0 - 1, x1 + (x1 - x0) * 0.05 || x1 + 1];
  if (logY) [y0, y1] = [y0 / 1.4, y1 * 1.4];
  else [y0, y1] = [Math.min(0, y0), y1 * 1.1 || 1];
  const X = scale(x0, x1, logX, m.l, W - m.r);
  const Y = scale(y0, y1, logY, H - m.b, m.t);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.l}" y="22" font-size="14" font-weight="bold">${esc(sweep.title)}</text>`);
  // Grid and ticks.
  for (const v of ticks(x0, x1, logX).filter((v) => !logX || xs.length < 2 || true)) {
    const x = X(v).toFixed(1);
    out.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${H - m.b + 16}" text-anchor="middle">${num(v)}</text>`);
  }
  for (const v of ticks(y0, y1, logY)) {
    const y = Y(v).toFixed(1);
    out.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${num(v)}</text>`);
  }
  out.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`);
  out.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 24}" text-anchor="middle">${esc(sweep.xLabel)}${logX ? ' (log)' : ''}</text>`);
  out.push(`<text transform="translate(18 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(sweep.yLabel)}${logY ? ' (log)' : ''}</text>`);
  // Series.
  sweep.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const p = s.points.filter((q) => Number.isFinite(q.median) && (!logY || q.median > 0)).sort((a, b) => a.x - b.x);
    const jitter = (i - (sweep.series.length - 1) / 2) * 3; // error bars side by side
    if (p.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${DASH[i % DASH.length] ? ` stroke-dasharray="${DASH[i % DASH.length]}"` : ''} points="${p.map((q) => `${(X(q.x) + jitter).toFixed(1)},${Y(q.median).toFixed(1)}`).join(' ')}"/>`);
    for (const q of p) {
      const x = (X(q.x) + jitter).toFixed(1);
      if (Number.isFinite(q.lo) && Number.isFinite(q.hi) && (!logY || q.lo > 0)) {
        const [a, b] = [Y(q.lo).toFixed(1), Y(q.hi).toFixed(1)];
        out.push(`<line x1="${x}" y1="${a}" x2="${x}" y2="${b}" stroke="${c}"/><line x1="${+x - 4}" y1="${a}" x2="${+x + 4}" y2="${a}" stroke="${c}"/><line x1="${+x - 4}" y1="${b}" x2="${+x + 4}" y2="${b}" stroke="${c}"/>`);
      }
      out.push(`<circle cx="${x}" cy="${Y(q.median).toFixed(1)}" r="3.5" fill="${c}"><title>${esc(s.name)}: x=${q.x}, median ${num(q.median)} [${num(q.lo ?? NaN)}-${num(q.hi ?? NaN)}], n=${q.n}</title></circle>`);
    }
    const ly = m.t + 10 + i * 20;
    out.push(`<line x1="${W - m.r + 14}" y1="${ly}" x2="${W - m.r + 40}" y2="${ly}" stroke="${c}" stroke-width="2"${DASH[i % DASH.length] ? ` stroke-dasharray="${DASH[i % DASH.length]}"` : ''}/>`);
    out.push(`<text x="${W - m.r + 46}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  const ly = m.t + 10 + sweep.series.length * 20 + 6;
  out.push(`<text x="${W - m.r + 14}" y="${ly}" fill="#555" font-size="11">bars: 95% bootstrap interval</text>`);
  out.push(`<text x="${W - m.r + 14}" y="${ly + 14}" fill="#555" font-size="11">of the median</text>`);
  if (sweep.note) out.push(`<text x="${m.l}" y="${H - 6}" fill="#555" font-size="11">${esc(sweep.note)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
