// How fast the admin plane lists usage at 100,000 users: seeds USERS users (default 100,000), each
// with a settled request of its own spend, into a redis-server of our own (no persistence) and into
// the memory store, then times GET /admin/usage sorted by spend (first page and a deep page, from
// the usage index) and sorted by id (users in id order), through a gateway on 127.0.0.1 built in
// this process. Prints medians and maxima of ROUNDS calls. Needs `npm run build` first.
//   node bench/usage-list.mjs            USERS=20000 ROUNDS=10 node bench/usage-list.mjs   STORES=memory node bench/usage-list.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { freePort, sleep, startChild, stopAll, waitForOutput } from './children.mjs';
import { repo } from './tollgate.mjs';

const USERS = Number(process.env.USERS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 20);
const ONLY = (process.env.STORES ?? 'redis,memory').split(',');
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
const dist = (p) => import(path.join(repo, 'dist', p));
const [{ createApp }, { loadConfig }, { createLogger }, { createMemoryStore }, { createRedisStore }, { createJournal }, { createInFlight }, { createMetrics }, { createUpstreamClient }, { systemClock }, { createServer }] =
  await Promise.all(['app.js', 'config/loader.js', 'log/logger.js', 'store/memory.js', 'store/redis/store.js', 'settle/journal.js', 'core/in-flight.js', 'metrics/metrics.js', 'upstream/client.js', 'core/clock.js', 'server/create-server.js'].map(dist));

const ZERO = { requests: 0, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };

async function seed(store) {
  const t0 = performance.now();
  for (let i = 0; i < USERS; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, USERS - i) }, async (_, j) => {
      const id = `user-${String(i + j).padStart(6, '0')}`;
      const spend = 1 + ((i + j) * 7919) % 1_000_003;
      await store.putUser({ id, limits: {}, allowedModels: null, disabled: false, createdAt: Date.now() });
      await store.settle({ userId: id, requestId: `seed-${id}`, checks: [], actual: { ...ZERO, requests: 1, messages: 1, tokens: 500, credits: 1, spend_micros: spend },
        conversationRoot: null, record: { requestId: `seed-${id}`, time: Date.now(), user: id, model: 'gpt-4.1-nano', conversation: null, promptTokens: 100,
          completionTokens: 400, cachedTokens: 0, reasoningTokens: 0, costMicros: spend, outcome: 'ok', estimated: false } });
    }));
  }
  return (performance.now() - t0) / 1000;
}

// The journals' folder, removed as the script ends.
const dir = mkdtempSync(path.join(tmpdir(), 'tg-bench-'));
let journals = 0;

function appOn(store) {
  const config = loadConfig({ UPSTREAM_BASE_URL: 'http://127.0.0.1:9/v1', UPSTREAM_API_KEY: 'sk-none', TOLLGATE_ADMIN_KEY: ADMIN_KEY, TOLLGATE_CONFIG: path.join(repo, 'config/gateway.yaml') }, repo, { limits: {} });
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr);
  const journal = createJournal({ file: path.join(dir, `journal-${++journals}.ndjson`), store, log: logger, replayMs: 60_000 });
  const app = createApp({ config, store, upstream: createUpstreamClient(config), clock: systemClock, logger, journal, inFlight: createInFlight(), metrics: createMetrics() });
  const server = createServer(config, app.fetch);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, server })));
}

async function time(app, route) {
  const ms = [];
  let rows = 0;
  for (let i = 0; i < ROUNDS + 2; i++) {
    const t0 = performance.now();
    const r = await fetch(app.url + route, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const body = await r.json();
    if (r.status !== 200) throw new Error(`${route}: ${r.status} ${JSON.stringify(body)}`);
    if (i >= 2) ms.push(performance.now() - t0); // two warm-up calls
    rows = body.users.length;
  }
  ms.sort((a, b) => a - b);
  return { route, rows, median: ms[Math.floor(ms.length / 2)], max: ms.at(-1) };
}

const ROUTES = ['/admin/usage?window=day&sort=spend_micros&limit=100', `/admin/usage?window=day&sort=spend_micros&limit=100&offset=${Math.floor(USERS / 2)}`,
  '/admin/usage?window=month&sort=tokens&order=asc&limit=100', '/admin/usage?window=day&limit=100'];

try {
  const port = await freePort();
  const rs = startChild('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await waitForOutput(rs, /Ready to accept connections/);
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  for (let i = 0; i < 50 && client.status !== 'ready'; i++) await sleep(100);
  const stores = [['redis', () => createRedisStore({ client })], ['memory', () => createMemoryStore()]].filter(([name]) => ONLY.includes(name));
  console.log(`usage list at ${USERS.toLocaleString('en-US')} users, ${ROUNDS} calls each (machine shared, so read the medians as rough)`);
  for (const [name, make] of stores) {
    const store = make();
    const seconds = await seed(store);
    const app = await appOn(store);
    console.log(`${name}: seeded in ${seconds.toFixed(1)} s`);
    for (const route of ROUTES) {
      const r = await time(app, route);
      console.log(`  ${r.route.padEnd(64)} ${String(r.rows).padStart(4)} rows  median ${r.median.toFixed(1).padStart(6)} ms  max ${r.max.toFixed(1).padStart(6)} ms`);
    }
    app.server.closeAllConnections();
    app.server.close();
    await store.close();
  }
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
