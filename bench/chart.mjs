// bench/latency.svg: sequential latency percentiles per target, one line each, log-scale µs.
const COLORS = { direct: '#666666', floor: '#1f77b4', 'tollgate-redis': '#d62728', 'tollgate-memory': '#2ca02c' };
export const CHART_PERCENTILES = [50, 75, 90, 95, 99, 99.9];

/** The nearest of 1, 2, 5 × 10^k below (or above) `v`: the ends of the log axis. */
function niceStep(v, way) {
  const decade = Math.pow(10, Math.floor(Math.log10(v)));
  const steps = [1, 2, 5, 10].map((m) => m * decade);
  return way === 'down' ? steps.filter((s) => s <= v).at(-1) : steps.find((s) => s >= v);
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** `series`: { [target]: [µs at each of CHART_PERCENTILES] }. */
export function latencySvg(series, title) {
  const W = 760, H = 400, L = 70, R = 220, T = 40, B = 50;
  const values = Object.values(series).flat().filter((v) => Number.isFinite(v) && v > 0);
  const lo = niceStep(Math.min(...values), 'down');
  const hi = niceStep(Math.max(...values), 'up');
  const x = (i) => L + (i * (W - L - R)) / (CHART_PERCENTILES.length - 1);
  const y = (v) => T + (H - T - B) * (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)));
  const parts = [];
  for (let decade = Math.pow(10, Math.floor(Math.log10(lo))); decade <= hi; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v < lo || v > hi) continue;
      parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
      parts.push(`<text x="${L - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v >= 1000 ? `${v / 1000} ms` : `${v} µs`}</text>`);
    }
  }
  CHART_PERCENTILES.forEach((p, i) => {
    parts.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`);
    parts.push(`<text x="${x(i)}" y="${H - B + 18}" font-size="12" text-anchor="middle">p${p}</text>`);
  });
  Object.entries(series).forEach(([name, vs], j) => {
    const color = COLORS[name] ?? '#000';
    const pts = vs.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
    vs.forEach((v, i) => parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${color}"><title>${esc(name)} p${CHART_PERCENTILES[i]}: ${Math.round(v)} µs</title></circle>`));
    parts.push(`<rect x="${W - R + 16}" y="${T + 10 + j * 22}" width="14" height="4" fill="${color}"/>`);
    parts.push(`<text x="${W - R + 36}" y="${T + 16 + j * 22}" font-size="12">${esc(name)} (p50 ${Math.round(vs[0])} µs)</text>`);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${L}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="16" y="${(H - B + T) / 2}" font-size="12" transform="rotate(-90 16 ${(H - B + T) / 2})" text-anchor="middle">latency (log scale)</text>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" font-size="12" text-anchor="middle">percentile of sequential requests</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
