// What one request costs several builds, at a light fixed load rather than at saturation (where
// the machine's drift and other people's work swamp differences of tens of µs): for each build,
// in turn and in COST_ROUNDS rounds, COST_N requests on COST_CONNECTIONS connections; per request,
// the gateway's CPU (/proc), Redis's CPU (/proc) and the time Redis spent running scripts (INFO
// commandstats usec of FCALL, EVALSHA and EVAL, which other load hardly moves), and Redis commands per request. Medians of
// the rounds, with their range. COST_MAIN: builds as quick.mjs's QUICK_MAIN (label=path, ...);
// COST_MODE json | stream | prompt20k; COST_KIND redis | memory | deployed.
import path from 'node:path';
import { Pool } from 'undici';
import { startChild, stopAll, waitForOutput } from './children.mjs';
import { processCpuMs } from './cpu.mjs';
import { allCommands, findOrStartRedis, localRedisPid, scriptUsec } from './redis.mjs';
import { bodyFor, headersFor, median, PATH } from './requests.mjs';
import { DEPLOYED_LIMITS, repo, startTollgate } from './tollgate.mjs';

const N = Number(process.env.COST_N ?? 1500);
const ROUNDS = Number(process.env.COST_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.COST_CONNECTIONS ?? 4);
const MODE = process.env.COST_MODE ?? 'json';
const KIND = process.env.COST_KIND ?? 'redis';

/** Commands Redis has run so far, and its time in script calls (which includes the commands they run, also counted on their own). */
async function redisTotals(client) {
  return { calls: await allCommands(client), usec: await scriptUsec(client) };
}

async function load(pool, target, n) {
  const body = bodyFor(MODE);
  let next = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (next++ < n) {
      const r = await pool.request({ path: PATH, method: 'POST', headers: headersFor(target), body });
      await r.body.text();
      if (r.statusCode !== 200) failed++;
    }
  }));
  return failed;
}

const redis = await findOrStartRedis();
const redisPid = await localRedisPid(redis);
try {
  const up = startChild('upstream', process.execPath, [path.join(repo, 'bench/upstream-server.mjs')]);
  const [, port] = await waitForOutput(up, /ready (\d+)/);
  const v1 = `http://127.0.0.1:${port}/v1`;
  const mains = process.env.COST_THIS === '0' ? [] : [['this', path.join(repo, 'dist/main.js')]];
  for (const [i, entry] of (process.env.COST_MAIN ? process.env.COST_MAIN.split(',') : []).entries()) {
    const eq = entry.indexOf('=');
    mains.push(eq > 0 ? [entry.slice(0, eq), entry.slice(eq + 1)] : [`other${i + 1}`, entry]);
  }
  const targets = [];
  for (const [name, main] of mains) {
    const deployed = KIND === 'deployed' ? { limits: DEPLOYED_LIMITS, logLevel: 'info' } : {};
    const g = await startTollgate({ name, upstreamUrl: v1, redisUrl: KIND === 'memory' ? null : redis.url, userId: `cost-${name}-${Date.now().toString(36)}`, main, ...deployed });
    const pool = new Pool(g.url, { connections: CONNECTIONS });
    targets.push({ name, origin: g.url, key: g.key, pid: g.pid, pool, rounds: [] });
    await load(pool, { key: g.key }, 300); // warm-up
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
      const cpu0 = processCpuMs(t.pid);
      const rcpu0 = processCpuMs(redisPid);
      const r0 = await redisTotals(redis.client);
      const start = Date.now();
      const failed = await load(t.pool, t, N);
      const wall = Date.now() - start;
      const r1 = await redisTotals(redis.client);
      t.rounds.push({
        cpu: (1000 * (processCpuMs(t.pid) - cpu0)) / N, redisCpu: (1000 * (processCpuMs(redisPid) - rcpu0)) / N,
        usec: (r1.usec - r0.usec) / N, commands: (r1.calls - r0.calls - 1) / N, rps: (1000 * N) / wall, failed,
      });
    }
  }
  const fmt = (t, k, d = 0) => {
    const xs = t.rounds.map((r) => r[k]);
    return `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
  };
  console.log(`${MODE}, ${KIND}, ${N} requests × ${ROUNDS} rounds on ${CONNECTIONS} connections; median (range) per request`);
  for (const t of targets) {
    console.log(`${t.name.padEnd(10)} gateway CPU µs ${fmt(t, 'cpu').padEnd(16)} redis CPU µs ${fmt(t, 'redisCpu').padEnd(16)} redis script µs ${fmt(t, 'usec', 1).padEnd(20)} commands ${fmt(t, 'commands', 1).padEnd(18)} req/s ${fmt(t, 'rps')} failed ${t.rounds.reduce((s, r) => s + r.failed, 0)}`);
  }
  for (const t of targets) await t.pool.close();
} finally {
  await stopAll();
  redis.client.disconnect();
}
process.exit(0);
