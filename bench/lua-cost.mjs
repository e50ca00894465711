// Redis's cost per reserve and per settle script, the checks of a request as the bench's deployed
// scenario sends them (every dimension's day and month, requests per minute and day, messages and
// tokens per day, each limit with the default thresholds 0.5, 0.8 and 1), one request per call and
// LUA_BATCH per call. Needs a build (dist/). For work on the scripts.
//
// Two measures:
// - default: Redis's time in the script (INFO commandstats usec of FCALL, EVALSHA and EVAL), against REDIS_URL (or
//   a Redis of its own). Steadier than Redis's CPU share, but still moved by other work.
// - LUA_CALLGRIND=1: the instructions Redis runs per request, counted by valgrind's callgrind on a
//   redis-server of its own (slow: keep LUA_N small). The same build counts the same within ~1 %
//   whatever else the machine does, so a change to a script is measured in one run.
//   LUA_REDIS_SERVER: the redis-server to run (Debian's is stripped: one built from source with
//   symbols lets callgrind_annotate name the functions); LUA_CALLGRIND_KEEP=<dir>: keep the
//   counts there, a file per phase (cg.out.<n>: 2 and 4 are batch 1's reserve and settle, 6 and 8
//   batch LUA_BATCH's), for `callgrind_annotate <dir>/cg.out.6`.
// With LUA_CALLGRIND, also calls of LUA_BATCH made as under load: half reserves, half settles of
// what the call before reserved, in turn (where a batch's requests share what they read and count).
// LUA_USERS: how many users a batch's requests are spread over (1, the default: one user, as under
// the bench's load, where a batch reads each window hash once; LUA_BATCH: nothing shared).
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, sleep, startChild, stopAll } from './children.mjs';
import { findOrStartRedis, scriptUsec } from './redis.mjs';
import { luaRequests } from './lua-requests.mjs';
import { median } from './requests.mjs';

// LUA_DIST: another build's dist/ (one with a script per reserve and settle is called that way).
const dist = process.env.LUA_DIST ?? new URL('../dist', import.meta.url).pathname;
const { defineScripts } = await import(`${dist}/store/redis/scripts.js`);
const requests = await luaRequests(dist);

const CALLGRIND = process.env.LUA_CALLGRIND === '1';
const N = Number(process.env.LUA_N ?? (CALLGRIND ? 480 : 3000));
const BATCH = Number(process.env.LUA_BATCH ?? 16);
const USERS = Number(process.env.LUA_USERS ?? 1);

/** A redis-server of our own under callgrind, counting nothing until `count` zeroes it. */
async function startCallgrindRedis() {
  const dir = process.env.LUA_CALLGRIND_KEEP ?? path.join(os.tmpdir(), `lua-cost-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dir]);
  const port = await freePort();
  const entry = startChild('redis-callgrind', 'valgrind', ['--tool=callgrind', `--callgrind-out-file=${dir}/cg.out`,
    process.env.LUA_REDIS_SERVER ?? 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 100 });
  client.on('error', () => undefined);
  for (let i = 0; i < 600; i++) {
    try {
      await client.connect();
      break;
    } catch {
      await sleep(100);
    }
  }
  const pid = String(entry.child.pid);
  /** Instructions since the last call (callgrind_control dumps a part per call, then zeroes). */
  const count = () => {
    execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' });
    const parts = readdirSync(dir).filter((f) => f.startsWith('cg.out.')).sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
    const text = execFileSync('grep', ['-m1', '^summary:\\|^totals:', path.join(dir, parts[parts.length - 1])]).toString();
    return Number(text.split(' ')[1]);
  };
  return { url, client, count, stop: async () => { client.disconnect(); await stopAll(); if (!process.env.LUA_CALLGRIND_KEEP) rmSync(dir, { recursive: true, force: true }); } };
}

const found = CALLGRIND ? await startCallgrindRedis() : await findOrStartRedis();
const redis = defineScripts(new Redis(found.url));
const run36 = Date.now().toString(36);
const userOf = (k) => `lua-cost-${run36}-${k % USERS}`;
const usec = () => scriptUsec(found.client);

async function call(kind, batch, from) {
  const ids = [];
  for (let k = from; k < from + batch; k++) ids.push({ id: `r-${batch}-${k}`, user: userOf(k) });
  const { keys, kinds, args, items } = requests.batch(kind, ids);
  // (A build before 2026-12-01 evening sends each request's arguments as one string; one before
  // 20:20 that day has the variadic tgBatch.)
  if (redis.tgBatchArgs) await redis.tgBatchArgs(requests.argv(items));
  else if (redis.tgBatch) await redis.tgBatch(keys.length, ...keys, kinds, ...args.flat());
  else await (kind === 'r' ? redis.tgReserve : redis.tgSettle).call(redis, keys[0], keys[1], args[0]);
}

/** One call as under load (lua-requests.mjs, mixed): reserves from id `m-<from>`, and the settles of the call before's. */
async function callMixed(half, from) {
  await redis.tgBatchArgs(requests.argv(requests.mixed(from, half, userOf)));
}

/** Instructions per request (a reserve and a settle) in calls of `batch` mixed as under load, after a first call of reserves only. */
async function countedMixed(batch) {
  const half = batch / 2;
  await callMixed(half, 0);
  found.count();
  for (let k = half; k < N + half; k += half) await callMixed(half, k);
  return `${Math.round(found.count() / N / 1000)}k instructions`;
}

/** Redis's time per request over CHUNK requests at a time: the least of the chunks (the one least disturbed by other work on the machine) and the median. */
const CHUNK = 96;
async function timed(kind, batch) {
  const per = [];
  for (let i = 0; i < N; i += CHUNK) {
    const before = await usec();
    for (let j = i; j < i + CHUNK; j += batch) await call(kind, batch, j);
    per.push((await usec() - before) / CHUNK);
  }
  per.sort((a, b) => a - b);
  return `${per[0].toFixed(1)} µs (median ${median(per).toFixed(1)})`;
}

/** Instructions per request (callgrind), after one batch of warm-up (the script's first load). */
async function counted(kind, batch) {
  await call(kind, batch, N);
  found.count();
  for (let j = 0; j < N; j += batch) await call(kind, batch, j);
  return `${Math.round(found.count() / N / 1000)}k instructions`;
}

try {
  for (const batch of redis.tgBatchArgs || redis.tgBatch ? [1, BATCH] : [1]) {
    const measure = CALLGRIND ? counted : timed;
    const r = await measure('r', batch);
    const s = await measure('s', batch);
    const how = CALLGRIND ? `callgrind, ${N} requests` : `Redis time in the script: least of ${Math.ceil(N / CHUNK)} chunks of ${CHUNK}`;
    console.log(`batch ${String(batch).padStart(3)} over ${Math.min(USERS, batch)} user(s): reserve ${r}, settle ${s} per request (${how})`);
  }
  // As under load: a call's requests reserve and settle in turn (callgrind only).
  if (CALLGRIND && redis.tgBatchArgs) console.log(`batch ${String(BATCH).padStart(3)} mixed, over ${Math.min(USERS, BATCH)} user(s): ${await countedMixed(BATCH)} per request, its reserve and settle (callgrind, ${N} requests)`);
} finally {
  redis.disconnect();
  if (CALLGRIND) await found.stop();
  else found.client.disconnect();
}
process.exit(0);
