// Paired A/B of Tollgate builds or settings, for profiling work (not part of npm run bench): every
// variant is loaded AT THE SAME TIME, in rounds, and each round's CPU per request of a variant is
// divided by the first variant's in that round. This machine's speed drifts by up to two times
// within minutes; variants measured one after another (quick.mjs) see different machines, while
// variants loaded together see the same one, so a change of a few per cent shows in the medians
// of the per-round ratios where it is lost in the throughput of one-after-another slices.
//
// PAIRED_VARIANTS: `label=path/to/dist/main.js[@level][+NODE_FLAG...]`, comma-separated (default:
// this checkout's build, as deployed, twice: the spread of an A/A run is the noise to read the
// others against). Each runs as deployed (Redis, the five limits of DEPLOYED_LIMITS) at `level`
// (default info). PAIRED_ROUNDS (12), PAIRED_SECONDS (3), PAIRED_CONNECTIONS (25 per variant),
// PAIRED_MODE (json | stream). Two or three variants at once: more share the two cores too thinly.
// Usage: PAIRED_VARIANTS=main=dist/main.js,quiet=dist/main.js@warn node bench/paired.mjs
import path from 'node:path';
import { startChild, stopAll, waitForOutput } from './children.mjs';
import { deleteUserKeys, findOrStartRedis } from './redis.mjs';
import { throughput } from './load.mjs';
import { median } from './requests.mjs';
import { DEPLOYED_LIMITS, deleteUser, repo, startTollgate } from './tollgate.mjs';

const ROUNDS = Number(process.env.PAIRED_ROUNDS ?? 12);
const SECONDS = Number(process.env.PAIRED_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.PAIRED_CONNECTIONS ?? 25);
const MODE = process.env.PAIRED_MODE ?? 'json';
const here = path.join(repo, 'dist/main.js');
const specs = (process.env.PAIRED_VARIANTS ?? `a=${here},a2=${here}`).split(',').map((s) => {
  const m = /^([^=]+)=([^@+]+)(?:@(\w+))?((?:\+\S+?)*)$/.exec(s);
  if (!m) throw new Error(`PAIRED_VARIANTS: '${s}' is not label=path[@level][+flag...]`);
  return { label: m[1], main: path.resolve(m[2]), level: m[3] ?? 'info', nodeArgs: m[4].split('+').filter(Boolean) };
});

const load = (v, seconds) => throughput(v.target, { mode: MODE, seconds, connections: CONNECTIONS });

const redis = await findOrStartRedis();
const gateways = [];
try {
  const up = startChild('upstream', process.execPath, [path.join(repo, 'bench/upstream-server.mjs')]);
  const [, port] = await waitForOutput(up, /ready (\d+)/);
  for (const s of specs) {
    const g = await startTollgate({ name: s.label, upstreamUrl: `http://127.0.0.1:${port}/v1`, redisUrl: redis.url, userId: `paired-${s.label}-${Date.now().toString(36)}`,
      main: s.main, nodeArgs: s.nodeArgs, limits: DEPLOYED_LIMITS, logLevel: s.level });
    gateways.push({ ...s, g, target: { origin: g.url, key: g.key, pid: g.pid }, perRequest: [] });
  }
  // Warm-up (the JIT, the pools), not counted; then the rounds, every variant at once.
  await Promise.all(gateways.map((v) => load(v, 3)));
  for (let r = 0; r < ROUNDS; r++) {
    const results = await Promise.all(gateways.map((v) => load(v, SECONDS)));
    gateways.forEach((v, i) => v.perRequest.push((results[i].targetCpuMs * 1000) / Math.max(1, results[i].requests)));
  }
  const base = gateways[0].perRequest;
  console.log(`${MODE}, ${gateways.length} variants at once, ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections each; CPU µs per request (all threads):`);
  for (const v of gateways) {
    const ratios = v.perRequest.map((x, i) => x / base[i]);
    console.log(`${v.label.padEnd(14)} median ${median(v.perRequest).toFixed(0).padStart(4)} µs/req   ÷ ${gateways[0].label}: median ${median(ratios).toFixed(3)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`);
  }
} finally {
  for (const v of gateways) {
    await deleteUser(v.g).catch(() => undefined);
    if (!redis.own) await deleteUserKeys(redis.client, v.g.userId).catch(() => undefined);
  }
  await stopAll();
  redis.client.disconnect();
}
process.exit(0);
