// The Redis store's client alone: what reserving and settling costs the gateway's process, without
// HTTP, the upstream or the log. Waves of STORE_WAVE requests of the bench's deployed user
// (bench/lua-requests.mjs's checks), each wave reserved at once and then settled at once, as under
// load (group commit puts a wave in one or two script calls); the process's CPU a request and the
// wall time a request. Needs a build (dist/; STORE_DIST: another build's dist/, to compare two).
// STORE_WAVES: how many waves are measured (after 100 not counted). For work on the store's client
// (codec, group commit, reply decoding); bench/lua-cost.mjs measures Redis's side.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { stopAll } from './children.mjs';
import { deleteUserKeys, findOrStartRedis } from './redis.mjs';

const dist = process.env.STORE_DIST ?? new URL('../dist', import.meta.url).pathname;
const { createRedisStore } = await import(path.join(dist, 'store/redis/store.js'));
const { Redis } = await import('ioredis');
const WAVE = Number(process.env.STORE_WAVE ?? 32);
const WAVES = Number(process.env.STORE_WAVES ?? 1000);

const LIMITED = { 'requests:minute': 1e8, 'requests:day': 1e9, 'messages:day': 1e9, 'tokens:day': 1e12 };
const checks = [];
for (const d of ['requests', 'messages', 'credits', 'tokens', 'spend_micros']) {
  for (const w of ['minute', 'day', 'month']) {
    if (w === 'minute' && d !== 'requests') continue;
    const limit = LIMITED[`${d}:${w}`] ?? null;
    const thresholds = limit ? [0.5, 0.8, 1].map((f) => ({ label: String(f), point: Math.ceil(limit * f) })) : undefined;
    checks.push({ dimension: d, window: w, limit, fixed: d === 'tokens' ? 20 : 1, perOutput: d === 'tokens' ? 1 : 0, ...(thresholds ? { thresholds } : {}) });
  }
}
const actual = { requests: 1, messages: 1, credits: 1, tokens: 31, spend_micros: 12 };

const redis = await findOrStartRedis();
const client = new Redis(redis.url);
const store = createRedisStore({ client });
const user = `bench-store-client-${process.pid}`;
let next = 0;

async function wave() {
  const ids = Array.from({ length: WAVE }, () => `sc-${next++}`);
  await Promise.all(ids.map((requestId) => store.reserve({
    userId: user, requestId, checks, maxOutput: 16384, minOutput: 16, mode: 'hard', parallelLimit: 100000, ttlMs: 2_100_000,
    conversation: null, spend: { fixed: 1, perOutput: 0.6, priced: true },
  })));
  await Promise.all(ids.map((requestId) => store.settle({
    userId: user, requestId, checks, actual, conversationRoot: null,
    record: { requestId, time: Date.now(), user, model: 'gpt-4o-mini', conversation: null, promptTokens: 20, completionTokens: 11,
      cachedTokens: 0, reasoningTokens: 0, costMicros: 12, outcome: 'ok', estimated: false, anomaly: null },
  })));
}

try {
  for (let i = 0; i < 100; i++) await wave();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < WAVES; i++) await wave();
  const used = process.cpuUsage(cpu);
  const n = WAVES * WAVE;
  console.log(`${dist}: waves of ${WAVE}, ${n} requests: ${((used.user + used.system) / n).toFixed(1)} µs of CPU a request `
    + `(user ${(used.user / n).toFixed(1)}, system ${(used.system / n).toFixed(1)}), ${((performance.now() - started) * 1000 / n).toFixed(1)} µs of wall time`);
} finally {
  await deleteUserKeys(redis.client, user);
  await store.close();
  redis.client.disconnect();
  await stopAll();
}
