// Quick A/B: throughput and CPU per request of floor / tollgate-redis / tollgate-memory, one mode
// at a time, for profiling work (not part of npm run bench). QUICK_SECONDS (default 5),
// QUICK_MAIN=path/to/other/dist/main.js adds "other-redis" and "other-memory" targets (QUICK_NODE_ARGS:
// node flags for those, e.g. to try a V8 setting on the same build); several builds, comma-separated,
// each optionally labelled (QUICK_MAIN=base=/tmp/a/dist/main.js,next=/tmp/b/dist/main.js), are
// all measured in the same interleaved rounds (QUICK_THIS=0 leaves out this checkout's build). QUICK_TARGETS=redis,memory,memory-always
// adds the embedded store with store.fsync: always; `deployed` is Tollgate on Redis as deployed
// (info logs, five limits: bench/tollgate.mjs DEPLOYED_LIMITS); `users` is the same with each of the
// 50 connections its own user (a script call then carries different users' requests: nothing of
// one user's counters is shared between the requests of a batch); `service` is the same with one
// service key acting for 50 end users, one a connection (X-Tollgate-User, made on first sight).
import path from 'node:path';
import { startChild, stopAll, waitForOutput } from './children.mjs';
import { throughputPasses } from './load.mjs';
import { allCommands, findOrStartRedis, localRedisPid } from './redis.mjs';
import { DEPLOYED_LIMITS, repo, startTollgate } from './tollgate.mjs';

const SECONDS = Number(process.env.QUICK_SECONDS ?? 5);
const redis = await findOrStartRedis();
const redisPid = await localRedisPid(redis);
try {
  const up = startChild('upstream', process.execPath, [path.join(repo, 'bench/upstream-server.mjs')]);
  const [, port] = await waitForOutput(up, /ready (\d+)/);
  const v1 = `http://127.0.0.1:${port}/v1`;
  const fl = startChild('floor', process.execPath, [path.join(repo, 'bench/floor-proxy.mjs'), v1]);
  const [, fport] = await waitForOutput(fl, /ready (\d+)/);
  const targets = [{ name: 'floor', origin: `http://127.0.0.1:${fport}`, pid: fl.child.pid }];
  const only = (process.env.QUICK_TARGETS ?? 'redis,memory').split(',');
  const mains = process.env.QUICK_THIS === '0' ? [] : [['', path.join(repo, 'dist/main.js')]];
  for (const [i, entry] of (process.env.QUICK_MAIN ? process.env.QUICK_MAIN.split(',') : []).entries()) {
    const eq = entry.indexOf('=');
    mains.push(eq > 0 ? [`${entry.slice(0, eq)}-`, entry.slice(eq + 1)] : [i === 0 ? 'other-' : `other${i + 1}-`, entry]);
  }
  const otherArgs = (process.env.QUICK_NODE_ARGS ?? '').split(' ').filter(Boolean);
  for (const [pre, main] of mains) {
    for (const kind of only) {
      // memory-always: the embedded store with store.fsync: always (this build only: older ones refuse the field).
      const [store, fsync] = kind.split('-');
      if (fsync && pre) continue;
      const deployed = kind === 'deployed' || kind === 'users' || kind === 'service'
        ? { limits: DEPLOYED_LIMITS, logLevel: 'info', users: kind === 'users' ? 50 : 1, service: kind === 'service' ? 50 : 0 } : {};
      const onRedis = store === 'redis' || kind === 'deployed' || kind === 'users' || kind === 'service';
      const g = await startTollgate({ name: `${pre}${kind}`, upstreamUrl: v1, redisUrl: onRedis ? redis.url : null, userId: `quick-${pre}${kind}-${Date.now().toString(36)}`, main, nodeArgs: pre ? otherArgs : [], fsync, ...deployed });
      targets.push({ name: `${pre}${kind}`, origin: g.url, key: g.key, keys: g.keys, endUsers: g.endUsers, pid: g.pid, redis: onRedis });
    }
  }
  const modes = (process.env.QUICK_MODES ?? 'json,stream').split(',');
  // The machine's speed drifts within seconds: each target gets QUICK_ROUNDS short slices, taken in turn.
  const { results } = await throughputPasses(targets, {
    passes: Number(process.env.QUICK_ROUNDS ?? 5), seconds: SECONDS, warmupSeconds: 2, connections: 50, pids: [up.child.pid], redisPid,
    modes, redisTargets: targets.filter((t) => t.redis).map((t) => t.name), redisCommands: () => allCommands(redis.client), log: () => undefined,
  });
  for (const m of modes) {
    const floorRps = results.floor[m].rps;
    for (const t of targets) {
      const r = results[t.name][m];
      console.log(`${m.padEnd(6)} ${t.name.padEnd(20)} ${r.rps.toFixed(0).padStart(6)} req/s (${(r.rps / floorRps).toFixed(2)} × floor)  cpu ${r.cpuUsPerRequest.toFixed(0).padStart(4)} µs/req  redis ${Number.isFinite(r.redisCpuUsPerRequest) ? r.redisCpuUsPerRequest.toFixed(0) : '-'} µs/req ${Number.isFinite(r.redisCommandsPerRequest) ? r.redisCommandsPerRequest.toFixed(1) : '-'} cmd/req  rss ${r.peakRssMb.toFixed(0)} MB  failed ${r.failed}  other ${r.backgroundPct.toFixed(0)}%`);
    }
  }
} finally {
  await stopAll();
  redis.client.disconnect();
}
process.exit(0);
