// The Redis store's client alone: what reserving and settling costs the gateway's process, without
// HTTP, the upstream or the log. Waves of STORE_WAVE requests of the bench's deployed user
// (bench/lua-requests.mjs's requests), each wave reserved at once and then settled at once, as under
// load (group commit puts a wave in one or two script calls); the process's CPU a request and the
// wall time a request. Needs a build (dist/; STORE_DIST: another build's dist/, to compare two).
// STORE_WAVES: how many waves are measured (after 100 not counted). For work on the store's client
// (codec, group commit, reply decoding); bench/lua-cost.mjs measures Redis's side.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { stopAll } from './children.mjs';
import { reserveReq, settleReq } from './lua-requests.mjs';
import { deleteUserKeys, findOrStartRedis } from './redis.mjs';

const dist = process.env.STORE_DIST ?? new URL('../dist', import.meta.url).pathname;
const { createRedisStore } = await import(path.join(dist, 'store/redis/store.js'));
const { Redis } = await import('ioredis');
const WAVE = Number(process.env.STORE_WAVE ?? 32);
const WAVES = Number(process.env.STORE_WAVES ?? 1000);

const redis = await findOrStartRedis();
const client = new Redis(redis.url);
const store = createRedisStore({ client });
const user = `bench-store-client-${process.pid}`;
let next = 0;

async function wave() {
  const ids = Array.from({ length: WAVE }, () => `sc-${next++}`);
  await Promise.all(ids.map((id) => store.reserve(reserveReq(id, user))));
  await Promise.all(ids.map((id) => store.settle(settleReq(id, user, Date.now()))));
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
