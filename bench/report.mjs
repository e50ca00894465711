// The results as a Markdown table (bench/results.md) and a latency-percentile chart (bench/latency.svg).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { repo } from './processes.mjs';

const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '—');

export function markdown(r) {
  const rows = ['direct', 'floor', 'tollgate-redis', 'tollgate-memory'].map((t) => {
    const x = r.targets[t];
    const vsFloor = (k) => (t.startsWith('tollgate') ? ` (${f(x[k] / r.targets.floor[k], 2)}×)` : '');
    return `| ${t} | ${f(x.rps)}${vsFloor('rps')} | ${f(x.streamRps)}${vsFloor('streamRps')} | ${f(x.lat.p50)} | ${f(x.lat.p99)} | ${f(x.lat.p50 - r.targets.direct.lat.p50)} | ${f(x.lat.p99 - r.targets.direct.lat.p99)} | ${f(x.stream.ttfbP50 - r.targets.direct.stream.ttfbP50)} | ${f(x.stream.gapMean - r.targets.direct.stream.gapMean)} | ${t === 'direct' ? '—' : f(x.peakRssMb)} |`;
  });
  return [
    `# Benchmark (${r.date}, ${r.machine})`, '',
    'Ratios are against the floor (a bare hono + undici pass-through); added latencies against direct (no proxy), measured in the same run.', '',
    '| target | req/s JSON (÷ floor) | req/s stream (÷ floor) | p50 µs | p99 µs | added p50 µs | added p99 µs | added TTFB µs | added gap µs | peak RSS MB (50 conns) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows, '',
    `- Store calls per request (Redis EVALSHA ÷ requests, sequential run): ${f(r.storeCallsPerRequest, 2)} (1 reserve + 1 settle = 2)`,
    `- Peak RSS with ${r.openStreams.count} streams open at once: tollgate-redis ${f(r.openStreams.redis, 0)} MB, tollgate-memory ${f(r.openStreams.memory, 0)} MB`,
    `- Load: ${r.connections} connections × ${r.seconds} s each (autocannon); sequential: ${r.sequentialN} requests; stream timing: ${r.streamN} streams of ${r.chunks} chunks ${r.chunkDelay} ms apart`,
    `- Failed requests (any run): ${r.failed}`, '',
    'Targets: metered throughput ≥ 0.6 × floor; added p50 ≤ 300 µs, p99 ≤ 1500 µs; added TTFB ≤ 500 µs; no added gap; RSS ≤ 150 MB (50 conns), ≤ 300 MB (1,000 streams).',
    '',
  ].join('\n');
}

export function svg(r) {
  const targets = ['direct', 'floor', 'tollgate-redis', 'tollgate-memory'];
  const colors = ['#555', '#1f77b4', '#d62728', '#2ca02c'];
  const ps = ['p50', 'p90', 'p99', 'p999'];
  const max = Math.max(...targets.flatMap((t) => ps.map((p) => r.targets[t].lat[p])));
  const W = 640, H = 320, L = 60, B = 40, barW = 28;
  const y = (v) => H - B - ((H - B - 20) * v) / max;
  const bars = ps.flatMap((p, i) => targets.map((t, j) => {
    const v = r.targets[t].lat[p];
    const x = L + i * 140 + j * (barW + 2);
    return `<rect x="${x}" y="${y(v)}" width="${barW}" height="${H - B - y(v)}" fill="${colors[j]}"><title>${t} ${p}: ${v.toFixed(0)} µs</title></rect>`;
  }));
  const labels = ps.map((p, i) => `<text x="${L + i * 140 + 60}" y="${H - 20}" font-size="12" text-anchor="middle">${p}</text>`);
  const legend = targets.map((t, j) => `<rect x="${L + j * 140}" y="4" width="10" height="10" fill="${colors[j]}"/><text x="${L + j * 140 + 14}" y="13" font-size="11">${t}</text>`);
  const axis = [0, 0.5, 1].map((k) => `<text x="${L - 6}" y="${y(max * k) + 4}" font-size="10" text-anchor="end">${(max * k).toFixed(0)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><text x="8" y="${H / 2}" font-size="11" transform="rotate(-90 8 ${H / 2})">latency µs (sequential)</text>${axis.join('')}${bars.join('')}${labels.join('')}${legend.join('')}</svg>\n`;
}

export function write(r) {
  writeFileSync(path.join(repo, 'bench/results.md'), markdown(r));
  writeFileSync(path.join(repo, 'bench/latency.svg'), svg(r));
}
