// Profiles Tollgate on Redis under load: `node --cpu-prof dist/main.js`, autocannon at 50
// connections (JSON, then streams), SIGTERM (the profile is written as the process exits), then a
// summary in bench/profile.md. The .cpuprofile stays in a temporary directory (never committed).
// Usage: node bench/profile.mjs   (after npm run build; BENCH_SECONDS sets each load, default 10;
// PROFILE_MAIN=<other build>/dist/main.js profiles another build, PROFILE_OUT=<file> writes the
// summary there instead; PROFILE_DEPLOYED=1 runs it as deployed: info logs, the five limits of
// bench/tollgate.mjs DEPLOYED_LIMITS)
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild, stopAll, stopChild, waitForOutput } from './children.mjs';
import { summarise, summaryMarkdown } from './cpuprofile-summary.mjs';
import { combine, throughput } from './load.mjs';
import { deleteUserKeys, findOrStartRedis } from './redis.mjs';
import { DEPLOYED_LIMITS, deleteUser, repo, startTollgate } from './tollgate.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// PROFILE_STORE=memory profiles Tollgate on its memory store instead.
const MEMORY = process.env.PROFILE_STORE === 'memory';
const DEPLOYED = process.env.PROFILE_DEPLOYED === '1';
const dir = mkdtempSync(path.join(os.tmpdir(), 'tollgate-profile-'));
const redis = await findOrStartRedis();
try {
  const up = startChild('upstream', process.execPath, [path.join(repo, 'bench/upstream-server.mjs')]);
  const [, port] = await waitForOutput(up, /ready (\d+)/);
  const gw = await startTollgate({
    name: `tollgate-${MEMORY ? 'memory' : 'redis'} (profiled)`, upstreamUrl: `http://127.0.0.1:${port}/v1`, redisUrl: MEMORY ? null : redis.url,
    userId: `bench-profile-${Date.now().toString(36)}`, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    ...(process.env.PROFILE_MAIN ? { main: process.env.PROFILE_MAIN } : {}),
    ...(DEPLOYED ? { limits: DEPLOYED_LIMITS, logLevel: 'info' } : {}),
  });
  const target = { name: 'tollgate-redis', origin: gw.url, key: gw.key, pid: gw.pid };
  // PROFILE_MODES=stream (or json) profiles one mode only.
  const modes = (process.env.PROFILE_MODES ?? 'json,stream').split(',');
  const run = async (stream) => combine([await throughput(target, { mode: stream ? 'stream' : 'json', seconds: modes.includes(stream ? 'stream' : 'json') ? SECONDS : 0.01, connections: 50 })]);
  const json = await run(false);
  const sse = await run(true);
  await deleteUser(gw);
  await stopChild(gw.entry, 15_000);
  if (!redis.own) await deleteUserKeys(redis.client, gw.userId);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const summary = summaryMarkdown(summarise(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))));
  const md = [
    '# Tollgate CPU profile under load', '',
    `${new Date().toISOString()} · ${os.cpus().length} cores, Node ${process.version} · Tollgate on ${MEMORY ? 'its memory store' : 'Redis'}${DEPLOYED ? ' as deployed' : ''}, 50 connections:`,
    `${process.env.PROFILE_MAIN ? `Build: ${process.env.PROFILE_MAIN}. ` : ''}${json.rps.toFixed(0)} JSON req/s for ${SECONDS} s, then ${sse.rps.toFixed(0)} stream req/s for ${SECONDS} s (${json.failed + sse.failed} failed);`,
    `${((json.cpuUsPerRequest * json.requests + sse.cpuUsPerRequest * sse.requests) / (json.requests + sse.requests)).toFixed(0)} µs of Tollgate CPU per request (profiler on).`,
    `Profile: ${path.join(dir, file)} (not committed).`, '', summary,
  ].join('\n');
  writeFileSync(process.env.PROFILE_OUT ?? path.join(repo, 'bench/profile.md'), md);
  console.log(md);
} finally {
  redis.client.disconnect();
  await stopAll();
}
