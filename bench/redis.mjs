// The Redis the benchmark runs Tollgate on: the one at REDIS_URL when set and answering, else
// 127.0.0.1:6379 when it answers, else a redis-server of our own on a free port (no persistence).
import { Redis } from 'ioredis';
import { freePort, sleep, startChild } from './children.mjs';
import { SCRIPT_CALLS } from '../dist/store/redis/scripts.js';

async function answers(url) {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => undefined); // a refused connection is the answer we are asking for
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Resolves with `{ url, own, client }`; `own` says we started it (and will stop it). */
export async function findOrStartRedis() {
  const candidates = [process.env.REDIS_URL, 'redis://127.0.0.1:6379'].filter(Boolean);
  for (const url of candidates) {
    if (await answers(url)) return { url, own: false, client: new Redis(url) };
  }
  return startRedis();
}

/** A redis-server of our own on a free port (no persistence): `{ url, own: true, entry, client }`. */
export async function startRedis() {
  const port = await freePort();
  const entry = startChild('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await answers(url)) return { url, own: true, entry, client: new Redis(url) };
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer`);
}

/** `INFO commandstats` as { command: calls }, or with `field` 'usec' { command: µs in it }. */
export async function commandStats(client, field = 'calls') {
  const info = await client.info('commandstats');
  const stats = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) stats[m[1]] = Number(field === 'usec' ? m[3] : m[2]);
  return stats;
}

/** Script calls so far (FCALL, EVALSHA, and EVAL after a NOSCRIPT), from `INFO commandstats`. */
export async function scriptCalls(client) {
  const calls = await commandStats(client);
  let n = 0;
  for (const name of SCRIPT_CALLS) n += calls[name] ?? 0;
  return n;
}

/** Redis's time in script calls so far, µs (FCALL, EVALSHA and EVAL: the commands a script runs included), from `INFO commandstats`. */
export async function scriptUsec(client) {
  const usec = await commandStats(client, 'usec');
  let n = 0;
  for (const name of SCRIPT_CALLS) n += usec[name] ?? 0;
  return n;
}

/** Every command Redis has run so far, those scripts ran included (INFO commandstats; the INFO calls themselves left out). */
export async function allCommands(client) {
  const calls = await commandStats(client);
  let n = 0;
  for (const [c, k] of Object.entries(calls)) if (c !== 'info') n += k;
  return n;
}

/** The URL without its password, for printing. */
export function redactedUrl(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** The PID of a Redis on this machine (for its CPU time), or null when it runs elsewhere. */
export async function localRedisPid(redis) {
  const host = new URL(redis.url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return null;
  const m = /process_id:(\d+)/.exec(await redis.client.info('server'));
  return m ? Number(m[1]) : null;
}

/** Deletes every key under one user's hash tag (only ever a user this run created). */
export async function deleteUserKeys(client, userId) {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `tg:{u:${userId}}:*`, 'COUNT', 1000);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
