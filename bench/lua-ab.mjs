// Two builds' batch script against each other: Redis's time in the script a request (INFO
// commandstats usec of FCALL, EVALSHA and EVAL), in calls made as under load (LUA_BATCH a call:
// half reserves of new ids, half settles of the ids the call before reserved, in turn), the
// bench's deployed user. Each build has a redis-server of its own; their calls alternate, a chunk
// of LUA_CHUNK calls each in turn, LUA_ROUNDS rounds, so that whatever else the machine does falls
// on both alike. Prints each build's median and least time a request and the median of the
// rounds' ratios (after ÷ before). Where bench/lua-cost.mjs counts instructions, this counts time:
// allocation and the cache's misses included.
// Usage: LUA_BEFORE=<a build's dist/> [LUA_AFTER=<dist/>, default ../dist] node bench/lua-ab.mjs
import { Redis } from 'ioredis';
import { stopAll } from './children.mjs';
import { scriptUsec, startRedis } from './redis.mjs';
import { luaRequests } from './lua-requests.mjs';
import { median } from './requests.mjs';

const BATCH = Number(process.env.LUA_BATCH ?? 16);
const ROUNDS = Number(process.env.LUA_ROUNDS ?? 60);
const CHUNK = Number(process.env.LUA_CHUNK ?? 12);
const before = process.env.LUA_BEFORE;
const after = process.env.LUA_AFTER ?? new URL('../dist', import.meta.url).pathname;
if (!before) throw new Error('LUA_BEFORE: the dist/ of the build to compare with');

/** One build on a Redis of its own: `chunk()` makes CHUNK calls and answers Redis's time in them a request (µs). */
async function side(dist) {
  const { defineScripts } = await import(`${dist}/store/redis/scripts.js`);
  const requests = await luaRequests(dist);
  const { url, client: admin } = await startRedis();
  const redis = defineScripts(new Redis(url));
  const half = BATCH / 2;
  let k = 0;
  const call = async () => {
    const items = requests.mixed(k, half, () => 'lua-ab');
    k += half;
    await redis.tgBatchArgs(requests.argv(items));
  };
  const usec = () => scriptUsec(admin);
  return {
    warm: async () => { for (let i = 0; i < 5; i++) await call(); },
    chunk: async () => {
      const from = await usec();
      for (let i = 0; i < CHUNK; i++) await call();
      return (await usec() - from) / (CHUNK * half);
    },
    close: () => { redis.disconnect(); admin.disconnect(); },
  };
}

const sides = [await side(before), await side(after)];
try {
  for (const s of sides) await s.warm();
  const times = [[], []];
  for (let r = 0; r < ROUNDS; r++) {
    // Either build first in turn.
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) times[i].push(await sides[i].chunk());
  }
  const ratios = times[1].map((t, r) => t / times[0][r]);
  const show = (t) => `median ${median(t).toFixed(1)} µs, least ${Math.min(...t).toFixed(1)}`;
  console.log(`Redis time in the script a request (a reserve and a settle), calls of ${BATCH} mixed, ${ROUNDS} rounds of ${CHUNK} calls each:`);
  console.log(`  before ${show(times[0])}; after ${show(times[1])}; after ÷ before, median of rounds ${median(ratios).toFixed(3)}`);
} finally {
  for (const s of sides) s.close();
  await stopAll();
}
process.exit(0);
