// npm run bench — what the meter costs. In one run on 127.0.0.1: a bench upstream, a Redis, a
// bare pass-through (the floor), Tollgate on Redis and Tollgate on its memory store, each in its
// own process; then store calls, sequential latency, stream timing, throughput at 50
// connections and 1,000 open streams. Tollgate on Redis runs twice: quiet (warn logs, every limit)
// and **as deployed** (info logs, a line per request; requests per minute and day, messages and
// tokens per day, parallel requests). Writes bench/results.md and bench/latency.svg. Bounded in
// time; stops every process it started (by PID); exits non-zero only when a run failed.
// BENCH_SECONDS sets each target's load time (default 10, in BENCH_PASSES passes, default 10);
// BENCH_SKIP_BUILD=1 uses dist/ as it is. A CPU profile of Tollgate: node bench/profile.mjs.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startChild, stopAll, stopChild, unexpectedExits, waitForOutput } from './children.mjs';
import { sequentialLatency } from './latency.mjs';
import { throughputPasses } from './load.mjs';
import { openStreams } from './open-streams.mjs';
import { allCommands, deleteUserKeys, findOrStartRedis, localRedisPid, redactedUrl, scriptCalls } from './redis.mjs';
import { markdown, writeReport } from './report.mjs';
import { smokeTest } from './smoke.mjs';
import { storeCalls } from './store-calls.mjs';
import { streamTiming } from './stream-timing.mjs';
import { DEPLOYED_LIMITS, deleteUser, repo, startTollgate } from './tollgate.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PARAMS = {
  connections: 50, seconds: SECONDS, passes: Number(process.env.BENCH_PASSES ?? 10), warmupSeconds: 2,
  latency: { warmup: 300, rounds: 8, perRound: 400 },
  streams: { streams: 240, rounds: 8, chunks: 8, delayMs: 2 },
  open: { count: 1000, chunks: 30, delayMs: 200, holdMs: 9000 },
  storeCalls: { n: 100, settleWaitMs: 10 },
};
const WATCHDOG_MS = 9 * 60_000;

const began = Date.now();
const runId = `bench-${began.toString(36)}`;
const failures = [];
const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const log = (msg) => console.log(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(3)} s] ${msg}`);
const failed = (what, n) => { if (n > 0) failures.push(`${what}: ${n} failed`); };

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 60_000} minutes; stopping everything`);
  void stopAll().finally(() => process.exit(1));
}, WATCHDOG_MS);

async function startNode(name, script, args) {
  const entry = startChild(name, process.execPath, [path.join(repo, script), ...args]);
  const [, port] = await waitForOutput(entry, /ready (\d+)/);
  return { name, entry, pid: entry.child.pid, origin: `http://127.0.0.1:${port}` };
}

/** Tollgate on Redis quiet, and as deployed: info logs, five limits. */
const REDIS_KINDS = ['tollgate-redis', 'tollgate-deployed'];

/** One gateway of each kind: the floor, Tollgate on Redis (`redisUrl`, quiet or as deployed), Tollgate on memory. */
async function startGateway(kind, upstreamV1, redisUrl, userId) {
  if (kind === 'floor') return startNode(kind, 'bench/floor-proxy.mjs', [upstreamV1]);
  const deployed = kind === 'tollgate-deployed' ? { limits: DEPLOYED_LIMITS, logLevel: 'info' } : {};
  const g = await startTollgate({ name: kind, upstreamUrl: upstreamV1, redisUrl: REDIS_KINDS.includes(kind) ? redisUrl : null, userId, ...deployed });
  return { ...g, origin: g.url };
}

/** Store calls, sequential latency, stream timing and throughput, with every target running. */
async function measureTargets(targets, redis, upstream) {
  const names = targets.map((t) => t.name);
  const metered = targets.find((t) => t.name === 'tollgate-redis');
  log('smoke test: every target answers JSON and streams correctly');
  for (const t of targets) await smokeTest(t, t.name.startsWith('tollgate'));

  log('store calls per request (MONITOR)');
  const monitor = await storeCalls(redis.client, metered, PARAMS.storeCalls);
  failed('store-call requests', monitor.failed);

  log('sequential latency');
  const scriptsBefore = await scriptCalls(redis.client);
  const latency = await sequentialLatency(targets, PARAMS.latency);
  const sequentialScripts = ((await scriptCalls(redis.client)) - scriptsBefore) / (PARAMS.latency.warmup + PARAMS.latency.rounds * PARAMS.latency.perRound);
  for (const t of names) failed(`sequential requests to ${t}`, latency[t].failed);

  log('stream timing');
  const streams = await streamTiming(targets, PARAMS.streams);
  for (const t of names) failed(`timed streams through ${t}`, streams[t].failed);

  const redisPid = await localRedisPid(redis);
  const load = await throughputPasses(targets, {
    passes: PARAMS.passes, seconds: SECONDS, warmupSeconds: PARAMS.warmupSeconds, connections: PARAMS.connections, pids: [upstream.pid, redisPid], redisPid,
    scriptsOf: 'tollgate-redis', scriptCalls: () => scriptCalls(redis.client), log,
    redisTargets: REDIS_KINDS, redisCommands: () => allCommands(redis.client),
  });
  for (const t of names) for (const mode of ['json', 'stream']) failed(`${mode} load on ${t}`, load.results[t][mode].failed);
  return { latency, streams, load: load.results, storeCalls: { monitor, stats: { sequential: sequentialScripts, ...load.scriptsPerRequest } } };
}

/** 1,000 streams through a fresh gateway of each kind, one at a time. */
async function measureOpenStreams(upstreamV1, redis, users) {
  const open = {};
  for (const kind of ['floor', 'tollgate-redis', 'tollgate-memory']) {
    log(`${PARAMS.open.count} streams open at once through a fresh ${kind}`);
    const g = await startGateway(kind, upstreamV1, redis.url, `${runId}-${kind}-open`);
    open[kind] = await openStreams(g, PARAMS.open);
    failed(`open streams through ${kind}`, open[kind].failed);
    for (const e of open[kind].errors) failures.push(`open streams through ${kind}: ${e}`);
    if (kind === 'tollgate-redis') {
      users.push(g.userId);
      await deleteUser(g);
    }
    await stopChild(g.entry);
  }
  return open;
}

/** The commit measured, and whether src/ differed from it (other work in the tree is built too). */
function revision() {
  const git = (...args) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function main() {
  const built = revision();
  if (process.env.BENCH_SKIP_BUILD !== '1') {
    log('npm run build');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: repo, stdio: 'inherit' });
  }
  const loadBefore = loadAverage();
  const redis = await findOrStartRedis();
  const users = [];
  try {
    log(`redis at ${redactedUrl(redis.url)} (${redis.own ? 'started here' : 'already running'})`);
    const upstream = await startNode('upstream', 'bench/upstream-server.mjs', [redis.url]);
    const upstreamV1 = `${upstream.origin}/v1`;
    const gateways = [];
    for (const kind of ['floor', 'tollgate-redis', 'tollgate-deployed', 'tollgate-memory']) gateways.push(await startGateway(kind, upstreamV1, redis.url, `${runId}-${kind}`));
    const targets = [{ name: 'direct', origin: upstream.origin, pid: upstream.pid }, ...gateways];
    const onRedis = gateways.filter((g) => REDIS_KINDS.includes(g.name));
    users.push(...onRedis.map((g) => g.userId));

    const measured = await measureTargets(targets, redis, upstream);
    for (const g of onRedis) await deleteUser(g);
    await Promise.all(gateways.map((g) => stopChild(g.entry)));
    const open = await measureOpenStreams(upstreamV1, redis, users);

    failures.push(...unexpectedExits());
    const result = {
      date: new Date().toISOString(), machine: `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}`,
      redis: redis.own ? 'started for this run' : 'already running (shared)', redisOwn: redis.own,
      revision: built, loadBefore, loadAfter: loadAverage(), seconds: (Date.now() - began) / 1000, params: PARAMS,
      targets: targets.map((t) => t.name), ...measured, open, failures,
    };
    writeReport(result, path.join(repo, 'bench'));
    console.log(`\n${markdown(result)}`);
    log('wrote bench/results.md and bench/latency.svg');
  } finally {
    if (!redis.own) for (const id of users) await deleteUserKeys(redis.client, id);
    redis.client.disconnect();
  }
}

let code = 0;
try {
  await main();
  if (failures.length > 0) code = 1;
} catch (e) {
  console.error('bench: a run failed:', e);
  for (const f of [...failures, ...unexpectedExits()]) console.error(`  ${f}`);
  code = 1;
} finally {
  await stopAll();
}
clearTimeout(watchdog);
process.exit(code);
