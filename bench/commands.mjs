// Redis commands per request, by command (INFO commandstats around N sequential requests, JSON
// then streams, through one Tollgate on Redis; commands scripts run inside Redis count too).
// COMMANDS_MAIN=path/to/dist/main.js measures another build; COMMANDS_N (default 200).
import path from 'node:path';
import { Pool } from 'undici';
import { sleep, startChild, stopAll, waitForOutput } from './children.mjs';
import { commandStats, findOrStartRedis } from './redis.mjs';
import { headersFor, jsonBody, PATH, streamBody } from './requests.mjs';
import { repo, startTollgate } from './tollgate.mjs';

const N = Number(process.env.COMMANDS_N ?? 200);
const redis = await findOrStartRedis();
try {
  const up = startChild('upstream', process.execPath, [path.join(repo, 'bench/upstream-server.mjs')]);
  const [, port] = await waitForOutput(up, /ready (\d+)/);
  const main = process.env.COMMANDS_MAIN ?? path.join(repo, 'dist/main.js');
  const g = await startTollgate({ name: 'commands', upstreamUrl: `http://127.0.0.1:${port}/v1`, redisUrl: redis.url, userId: `commands-${Date.now().toString(36)}`, main });
  const target = { origin: g.url, key: g.key };
  const pool = new Pool(g.url, { connections: 1 });
  for (const [mode, body] of [['json', jsonBody()], ['stream', streamBody({ chunks: 8 })]]) {
    for (let i = 0; i < 20; i++) await (await pool.request({ path: PATH, method: 'POST', headers: headersFor(target), body })).body.text();
    await sleep(1200);
    const before = await commandStats(redis.client);
    for (let i = 0; i < N; i++) await (await pool.request({ path: PATH, method: 'POST', headers: headersFor(target), body })).body.text();
    await sleep(1200); // the last settle, and the usage index's once-a-second flush
    const after = await commandStats(redis.client);
    const diff = Object.entries(after).map(([c, n]) => [c, (n - (before[c] ?? 0)) / N]).filter(([c, n]) => n > 0 && !['info', 'echo', 'monitor'].includes(c));
    const total = diff.reduce((s, [, n]) => s + n, 0);
    console.log(`${mode}: ${total.toFixed(2)} commands/request: ${diff.sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n.toFixed(2)}`).join(', ')}`);
  }
  await pool.close();
} finally {
  await stopAll();
  redis.client.disconnect();
}
process.exit(0);
