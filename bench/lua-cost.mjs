// Redis's time per reserve and per settle script (INFO commandstats usec of EVALSHA), the checks
// of a request as the bench sends it (every dimension's day and month, the five limits), one
// request per call and LUA_BATCH per call. Runs against REDIS_URL (or a Redis of its own); needs
// a build (dist/). For work on the scripts: Redis's own time is steady where its CPU share is not.
import { Redis } from 'ioredis';
import { findOrStartRedis } from './redis.mjs';

const { defineScripts } = await import('../dist/store/redis/scripts.js');
const { reserveArgs, settleArgs } = await import('../dist/store/redis/codec.js');
const { recordFields } = await import('../dist/store/redis/ledger-codec.js');
const { userPrefix } = await import('../dist/store/keys.js');
const { outboxKey } = await import('../dist/store/redis/outbox-keys.js');

const N = Number(process.env.LUA_N ?? 3000);
const BATCH = Number(process.env.LUA_BATCH ?? 16);
const found = await findOrStartRedis();
const redis = defineScripts(new Redis(found.url));
const user = `lua-cost-${Date.now().toString(36)}`;
const limited = { 'requests:minute': 1e8, 'requests:day': 1e9, 'messages:day': 1e9, 'tokens:day': 1e12, 'spend_micros:day': 1e12 };
const checks = [];
for (const d of ['requests', 'messages', 'credits', 'tokens', 'spend_micros']) {
  for (const w of ['minute', 'day', 'month']) {
    if (w === 'minute' && d !== 'requests') continue;
    const limit = limited[`${d}:${w}`] ?? null;
    checks.push({ dimension: d, window: w, limit, fixed: d === 'tokens' ? 20 : 1, perOutput: d === 'tokens' ? 1 : 0, ...(limit ? { thresholds: [] } : {}) });
  }
}
const actual = { requests: 1, messages: 1, credits: 1, tokens: 31, spend_micros: 12 };
const record = (id) => ({ requestId: id, time: Date.now(), user, model: 'gpt-4o-mini', conversation: null, promptTokens: 20, completionTokens: 11,
  cachedTokens: 0, reasoningTokens: 0, costMicros: 12, outcome: 'ok', estimated: false, anomaly: null });
const reserveReq = (id) => ({ userId: user, requestId: id, checks, maxOutput: 16384, minOutput: 16, mode: 'hard', parallelLimit: 100000, ttlMs: 2_100_000, conversation: null, spend: { fixed: 1, perOutput: 0.6, priced: true } });

async function usec() {
  const info = await found.client.info('commandstats');
  const m = /^cmdstat_evalsha:calls=(\d+),usec=(\d+)/m.exec(info);
  return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
}

async function run(kind, batch) {
  let n = 0;
  const before = await usec();
  for (let i = 0; i < N; i += batch) {
    const keys = [];
    const args = [];
    let kinds = '';
    for (let j = 0; j < batch; j++) {
      const id = `${kind}-${batch}-${i + j}`;
      keys.push(userPrefix(user), outboxKey(user));
      kinds += kind;
      args.push(kind === 'r' ? reserveArgs(reserveReq(`r-${batch}-${i + j}`), 0) : settleArgs({ userId: user, requestId: `r-${batch}-${i + j}`, checks, actual, conversationRoot: null, record: record(id) }, 0, recordFields(record(id)), 400 * 86_400_000));
      n++;
    }
    await redis.tgBatch(keys.length, ...keys, kinds, ...args);
  }
  const after = await usec();
  return (after.usec - before.usec) / n;
}

for (const batch of [1, BATCH]) {
  const r = await run('r', batch);
  const s = await run('s', batch);
  console.log(`batch ${String(batch).padStart(3)}: reserve ${r.toFixed(1)} µs, settle ${s.toFixed(1)} µs per request (Redis time in the script)`);
}
redis.disconnect();
found.client.disconnect();
process.exit(0);
