// Sequential latency: one request at a time over one kept-alive connection per target, in rounds
// that rotate the targets' order, so background noise on a shared machine falls on all of them
// alike. Every response is read to its end and checked.
import { Pool } from 'undici';
import { headersFor, jsonBody, microsSince, PATH } from './requests.mjs';

async function once(pool, target, body) {
  const start = process.hrtime.bigint();
  const r = await pool.request({ path: PATH, method: 'POST', headers: headersFor(target), body });
  const text = await r.body.text();
  const micros = microsSince(start);
  return { micros, ok: r.statusCode === 200 && text.includes('Hello from the bench upstream') };
}

/** Resolves with `{ [name]: { samples (µs, ascending), failed } }`. */
export async function sequentialLatency(targets, { warmup, rounds, perRound }) {
  const body = jsonBody();
  const pools = new Map(targets.map((t) => [t.name, new Pool(t.origin, { connections: 1, pipelining: 1 })]));
  const out = Object.fromEntries(targets.map((t) => [t.name, { samples: [], failed: 0 }]));
  try {
    for (const t of targets) {
      for (let i = 0; i < warmup; i++) if (!(await once(pools.get(t.name), t, body)).ok) out[t.name].failed++;
    }
    for (let round = 0; round < rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        for (let i = 0; i < perRound; i++) {
          const r = await once(pools.get(t.name), t, body);
          if (r.ok) out[t.name].samples.push(r.micros);
          else out[t.name].failed++;
        }
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
  for (const o of Object.values(out)) o.samples.sort((a, b) => a - b);
  return out;
}
