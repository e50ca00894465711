// The measurements: throughput under load (autocannon), sequential latency, stream timing, RSS.
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { rssMb } from './processes.mjs';

export const BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello, how are you today?' }] });
export const STREAM_BODY = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hello, how are you today?' }] });
const headers = (key) => ({ 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) });

/** Requests per second at `connections` for `seconds`, with the peak RSS of `pid` meanwhile. */
export async function throughput({ base, key, stream, seconds, connections, pid }) {
  let peak = 0;
  const sampler = setInterval(() => { if (pid) peak = Math.max(peak, rssMb(pid)); }, 200);
  const result = await autocannon({
    url: `${base}/v1/chat/completions`, method: 'POST', connections, duration: seconds,
    headers: headers(key), body: stream ? STREAM_BODY : BODY,
  });
  clearInterval(sampler);
  const failed = result.errors + result.timeouts + result.non2xx;
  return { rps: result.requests.average, failed, peakRssMb: peak };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Sequential requests over one kept-alive connection: latency percentiles in µs. */
export async function sequential({ base, key, n }) {
  const pool = new Pool(base, { connections: 1 });
  const times = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: headers(key), body: BODY });
    await r.body.arrayBuffer();
    if (r.statusCode !== 200) failed++;
    if (i >= n / 10) times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  await pool.close();
  times.sort((a, b) => a - b);
  const pick = (p) => percentile(times, p);
  return { p50: pick(50), p90: pick(90), p99: pick(99), p999: pick(99.9), failed };
}

/** Streams: time to the first body byte and the mean gap between body chunks, in µs. */
export async function streamTiming({ base, key, n }) {
  const pool = new Pool(base, { connections: 1 });
  const ttfb = [];
  const gaps = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: headers(key), body: STREAM_BODY });
    let last = null;
    for await (const _chunk of r.body) {
      const now = process.hrtime.bigint();
      if (last === null) ttfb.push(Number(now - t) / 1000);
      else gaps.push(Number(now - last) / 1000);
      last = now;
    }
    if (r.statusCode !== 200) failed++;
  }
  await pool.close();
  ttfb.sort((a, b) => a - b);
  return { ttfbP50: percentile(ttfb, 50), gapMean: gaps.reduce((s, g) => s + g, 0) / Math.max(1, gaps.length), failed };
}

/** Holds `count` streams open at once through `base` and reports the peak RSS of `pid`. */
export async function openStreams({ base, key, count, pid }) {
  const pool = new Pool(base, { connections: count, pipelining: 1 });
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, rssMb(pid)); }, 100);
  let failed = 0;
  await Promise.all(Array.from({ length: count }, async () => {
    try {
      const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: headers(key), body: STREAM_BODY, headersTimeout: 60_000, bodyTimeout: 60_000 });
      for await (const _chunk of r.body) { /* keep it open to the end */ }
      if (r.statusCode !== 200) failed++;
    } catch {
      failed++;
    }
  }));
  clearInterval(sampler);
  await pool.close();
  return { peakRssMb: peak, failed };
}
