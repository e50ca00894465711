// npm run bench — how much the meter costs, measured against a bare pass-through (the floor) and
// against the upstream itself (direct), all in one run on 127.0.0.1. Bounded (about three
// minutes), stops everything it started, exits non-zero only if a run failed.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { openStreams, sequential, streamTiming, throughput } from './measure.mjs';
import { evalshaCalls, repo, startRedis, startScript, startTollgate, stopAll } from './processes.mjs';
import { markdown, write } from './report.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const SEQUENTIAL = 2000;
const STREAMS = 200;
const CHUNKS = 20;
const CHUNK_DELAY = 2;
const OPEN_STREAMS = 1000;

execFileSync('npm', ['run', 'build', '--silent'], { cwd: repo, stdio: 'inherit' });
const upstream = await startScript('bench/upstream-server.mjs', ['0', '0', String(CHUNKS)]);
const slow = await startScript('bench/upstream-server.mjs', ['0', String(CHUNK_DELAY), String(CHUNKS)]);
const held = await startScript('bench/upstream-server.mjs', ['0', '100', '40']);
const redis = await startRedis();
const url = (port) => `http://127.0.0.1:${port}/v1`;

const floor = await startScript('bench/floor-proxy.mjs', ['0', url(upstream.port)]);
const floorSlow = await startScript('bench/floor-proxy.mjs', ['0', url(slow.port)]);
const targets = {
  direct: { base: `http://127.0.0.1:${upstream.port}`, slowBase: `http://127.0.0.1:${slow.port}` },
  floor: { base: `http://127.0.0.1:${floor.port}`, pid: floor.child.pid, slowBase: `http://127.0.0.1:${floorSlow.port}` },
};
for (const [name, redisUrl] of [['tollgate-redis', redis.url], ['tollgate-memory', undefined]]) {
  const fast = await startTollgate({ upstreamUrl: url(upstream.port), redisUrl });
  const slowGw = await startTollgate({ upstreamUrl: url(slow.port), redisUrl });
  const heldGw = await startTollgate({ upstreamUrl: url(held.port), redisUrl });
  targets[name] = { base: fast.url, key: fast.key, pid: fast.child.pid, slowBase: slowGw.url, slowKey: slowGw.key, heldBase: heldGw.url, heldKey: heldGw.key, heldPid: heldGw.child.pid };
}

let failed = 0;
let storeCallsPerRequest = NaN;
const openStreamRss = {};
try {
  for (const [name, t] of Object.entries(targets)) {
    process.stdout.write(`${name}: sequential… `);
    const before = name === 'tollgate-redis' ? evalshaCalls(redis.port) : 0;
    t.lat = await sequential({ base: t.base, key: t.key, n: SEQUENTIAL });
    if (name === 'tollgate-redis') storeCallsPerRequest = (evalshaCalls(redis.port) - before) / SEQUENTIAL;
    process.stdout.write('streams… ');
    t.stream = await streamTiming({ base: t.slowBase, key: t.slowKey ?? t.key, n: STREAMS });
    process.stdout.write('load… ');
    const json = await throughput({ base: t.base, key: t.key, stream: false, seconds: SECONDS, connections: CONNECTIONS, pid: t.pid });
    const sse = await throughput({ base: t.base, key: t.key, stream: true, seconds: SECONDS, connections: CONNECTIONS, pid: t.pid });
    t.rps = json.rps;
    t.streamRps = sse.rps;
    t.peakRssMb = Math.max(json.peakRssMb, sse.peakRssMb);
    failed += t.lat.failed + t.stream.failed + json.failed + sse.failed;
    if (t.heldBase) {
      process.stdout.write(`${OPEN_STREAMS} open streams… `);
      const open = await openStreams({ base: t.heldBase, key: t.heldKey, count: OPEN_STREAMS, pid: t.heldPid });
      openStreamRss[name === 'tollgate-redis' ? 'redis' : 'memory'] = open.peakRssMb;
      failed += open.failed;
    }
    console.log('done');
  }
  const result = {
    date: new Date().toISOString(), machine: `${os.cpus().length} cores, Node ${process.version}`,
    targets, storeCallsPerRequest, openStreams: { count: OPEN_STREAMS, ...openStreamRss },
    connections: CONNECTIONS, seconds: SECONDS, sequentialN: SEQUENTIAL, streamN: STREAMS, chunks: CHUNKS, chunkDelay: CHUNK_DELAY, failed,
  };
  write(result);
  console.log(`\n${markdown(result)}`);
} finally {
  stopAll();
}
process.exit(failed > 0 ? 1 : 0);
