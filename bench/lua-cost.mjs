// Redis's time per reserve and per settle script (INFO commandstats usec of EVALSHA), the checks
// of a request as the bench sends it (every dimension's day and month, the five limits), one
// request per call and LUA_BATCH per call. Runs against REDIS_URL (or a Redis of its own); needs
// a build (dist/). For work on the scripts: Redis's own time is steady where its CPU share is not.
import { Redis } from 'ioredis';
import { findOrStartRedis } from './redis.mjs';

// LUA_DIST: another build's dist/ (one with a script per reserve and settle is called that way).
const dist = process.env.LUA_DIST ?? new URL('../dist', import.meta.url).pathname;
const { defineScripts } = await import(`${dist}/store/redis/scripts.js`);
const { reserveArgs, settleArgs } = await import(`${dist}/store/redis/codec.js`);
const { recordFields } = await import(`${dist}/store/redis/ledger-codec.js`);
const { userPrefix } = await import(`${dist}/store/keys.js`);
const { outboxKey } = await import(`${dist}/store/redis/outbox-keys.js`);

const N = Number(process.env.LUA_N ?? 3000);
const BATCH = Number(process.env.LUA_BATCH ?? 16);
const found = await findOrStartRedis();
const redis = defineScripts(new Redis(found.url));
if (!redis.tgBatch) redis.tgBatch = undefined;
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

/** Redis's time per request over CHUNK requests at a time: the least of the chunks (the one least disturbed by other work on the machine) and the median. */
const CHUNK = 96;
async function run(kind, batch) {
  const per = [];
  for (let i = 0; i < N; i += CHUNK) {
    const before = await usec();
    for (let j = i; j < i + CHUNK; j += batch) {
      const keys = [];
      const args = [];
      let kinds = '';
      for (let k = j; k < j + batch; k++) {
        const id = `${kind}-${batch}-${k}`;
        keys.push(userPrefix(user), outboxKey(user));
        kinds += kind;
        args.push(kind === 'r' ? reserveArgs(reserveReq(`r-${batch}-${k}`), 0) : settleArgs({ userId: user, requestId: `r-${batch}-${k}`, checks, actual, conversationRoot: null, record: record(id) }, 0, recordFields(record(id)), 400 * 86_400_000));
      }
      if (redis.tgBatch) await redis.tgBatch(keys.length, ...keys, kinds, ...args);
      else await (kind === 'r' ? redis.tgReserve : redis.tgSettle).call(redis, keys[0], keys[1], args[0]);
    }
    const after = await usec();
    per.push((after.usec - before.usec) / CHUNK);
  }
  per.sort((a, b) => a - b);
  return `${per[0].toFixed(1)} (median ${per[Math.floor(per.length / 2)].toFixed(1)})`;
}

for (const batch of redis.tgBatch ? [1, BATCH] : [1]) {
  const r = await run('r', batch);
  const s = await run('s', batch);
  console.log(`batch ${String(batch).padStart(3)}: reserve ${r} µs, settle ${s} µs per request (Redis time in the script: least of ${Math.ceil(N / CHUNK)} chunks of ${CHUNK})`);
}
redis.disconnect();
found.client.disconnect();
process.exit(0);
