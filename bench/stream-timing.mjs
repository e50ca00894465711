// Stream timing: sequential streams whose upstream sends `chunks` content chunks `delayMs` apart,
// rotated across targets like the latency rounds. For each stream: the time to the first content
// event (TTFB), the gaps between content events, and the time to the last one. A stream must
// carry every content chunk, end with [DONE], and never show the client a usage chunk it did not
// ask for (Tollgate asks upstream for one and hides it).
import { Pool } from 'undici';
import { headersFor, microsSince, PATH, streamBody } from './requests.mjs';

async function oneStream(pool, target, body, chunks) {
  const start = process.hrtime.bigint();
  const r = await pool.request({ path: PATH, method: 'POST', headers: headersFor(target), body });
  const times = [];
  let buffered = '';
  let done = false;
  let sawUsage = false;
  for await (const chunk of r.body) {
    const now = microsSince(start);
    buffered += chunk.toString('utf8');
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (event === 'data: [DONE]') done = true;
      else if (event.includes('"usage"')) sawUsage = true;
      else if (event.includes('"content"')) times.push(now);
    }
  }
  const ok = r.statusCode === 200 && done && !sawUsage && times.length === chunks;
  return { ok, times };
}

export async function streamTiming(targets, { streams, chunks, delayMs, rounds }) {
  const body = streamBody({ chunks, chunk_delay_ms: delayMs });
  const pools = new Map(targets.map((t) => [t.name, new Pool(t.origin, { connections: 1, pipelining: 1 })]));
  const out = Object.fromEntries(targets.map((t) => [t.name, { ttfb: [], gaps: [], last: [], failed: 0 }]));
  try {
    for (const t of targets) await oneStream(pools.get(t.name), t, body, chunks); // warm-up
    for (let round = 0; round < rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        for (let i = 0; i < Math.ceil(streams / rounds); i++) {
          const r = await oneStream(pools.get(t.name), t, body, chunks);
          const o = out[t.name];
          if (!r.ok) {
            o.failed++;
            continue;
          }
          o.ttfb.push(r.times[0]);
          o.last.push(r.times.at(-1));
          for (let k = 1; k < r.times.length; k++) o.gaps.push(r.times[k] - r.times[k - 1]);
        }
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
  for (const o of Object.values(out)) for (const a of [o.ttfb, o.gaps, o.last]) a.sort((x, y) => x - y);
  return out;
}
