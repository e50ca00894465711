// Tollgate from dist/, as it runs in production (`node dist/main.js`), with a config copied from
// config/gateway.yaml whose default limits are high enough that nothing is refused, quiet logs,
// and a user and key made through the admin API.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { freePort, sleep, startChild } from './children.mjs';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

/** Every limit that applies by default (so every check runs), none of them ever reached. */
const LIMITS = {
  requests_per_minute: 100_000_000, requests_per_day: 1_000_000_000, messages_per_day: 1_000_000_000,
  tokens_per_day: 1_000_000_000_000, spend_micros_per_day: 1_000_000_000_000, max_parallel_requests: 100_000,
};
/**
 * As a newcomer deploys it (issue 19): requests per minute and day, messages and tokens per day,
 * parallel requests — high enough that nothing is refused.
 */
export const DEPLOYED_LIMITS = {
  requests_per_minute: 100_000_000, requests_per_day: 1_000_000_000, messages_per_day: 1_000_000_000,
  tokens_per_day: 1_000_000_000_000, max_parallel_requests: 100_000,
};

/** Environment variables Tollgate reads; ours replace whatever the caller had set. */
const TOLLGATE_ENV = ['PORT', 'HOST', 'UPSTREAM_BASE_URL', 'UPSTREAM_API_KEY', 'UPSTREAM_ORGANIZATION', 'UPSTREAM_PROJECT', 'OPENAI_API_KEY', 'REDIS_URL', 'REDIS_CLUSTER_NODES',
  'TOLLGATE_ADMIN_KEY', 'TOLLGATE_CONFIG', 'MONTHLY_MESSAGE_CREDIT_LIMIT', 'TOLLGATE_FAIL_MODE', 'TOLLGATE_ENFORCEMENT', 'LOG_LEVEL', 'TOLLGATE_JOURNAL', 'TOLLGATE_DATA_DIR'];

/** The config of the build at `root` (another build's schema may not know this one's keys). */
function writeConfig(dir, root, fsync, limits, logLevel) {
  const config = parse(readFileSync(path.join(root, 'config/gateway.yaml'), 'utf8'));
  // Builds from before the embedded store kept its data refuse a store section; TOLLGATE_DATA_DIR
  // places the data, and store.fsync is written only when asked for.
  delete config.store;
  if (fsync) config.store = { fsync };
  config.limits = limits;
  config.metering.prices_file = path.join(root, 'config/prices.yaml');
  config.log_level = logLevel;
  const file = path.join(dir, 'gateway.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

async function admin(url, route, body) {
  const r = await fetch(url + route, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await r.json();
  if (!r.ok) throw new Error(`POST ${route}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Starts Tollgate on `upstreamUrl` (the memory store when `redisUrl` is null) and makes user
 * `userId` with a key; with `service` (a number), a service key instead, acting for that many end
 * users (`endUsers`: `userId-1`, ..., made on first sight with the default limits, `limits`). `nodeArgs` go before the script (e.g. --cpu-prof); `main` is another build's
 * entry point (to compare a change against dist/). `limits` (default: every limit) go to the config
 * and to the user (a default stored with PUT /admin/settings in a shared Redis would win over the
 * file's, but never over a user's own); `logLevel` defaults to warn (no line per request). `users`:
 * how many users (`userId`, then `userId-2`, ...), each with a key (`keys`; `key` is the first's).
 */
export async function startTollgate({ name, upstreamUrl, redisUrl, userId, nodeArgs = [], main = path.join(repo, 'dist/main.js'), fsync, limits = LIMITS, logLevel = 'warn', users = 1, service = 0 }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-bench-'));
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !TOLLGATE_ENV.includes(k)));
  Object.assign(env, {
    PORT: String(port), HOST: '127.0.0.1', UPSTREAM_BASE_URL: upstreamUrl, UPSTREAM_API_KEY: 'sk-bench-upstream',
    TOLLGATE_ADMIN_KEY: ADMIN_KEY, TOLLGATE_CONFIG: writeConfig(dir, path.resolve(path.dirname(main), '..'), fsync, limits, logLevel), TOLLGATE_JOURNAL: path.join(dir, 'journal.ndjson'),
    TOLLGATE_DATA_DIR: path.join(dir, 'data'),
  });
  if (redisUrl) env.REDIS_URL = redisUrl;
  const entry = startChild(name, process.execPath, [...nodeArgs, main], { env, cwd: dir });
  entry.child.stdout.resume();
  // Its folder (config, journal, data) goes with it: a run of the bench starts a dozen gateways.
  entry.child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (!(await fetch(`${url}/readyz`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline || entry.child.exitCode !== null) throw new Error(`${name} did not become ready\n${entry.stderr}`);
    await sleep(50);
  }
  if (service > 0) {
    const { key } = await admin(url, '/admin/service-keys', { name: 'bench' });
    const endUsers = Array.from({ length: service }, (_, i) => `${userId}-${i + 1}`);
    return { name, entry, pid: entry.child.pid, url, key, keys: [key], endUsers, userId, dir };
  }
  const keys = [];
  for (let i = 1; i <= users; i++) {
    const id = i === 1 ? userId : `${userId}-${i}`;
    await admin(url, '/admin/users', { id, limits });
    keys.push((await admin(url, '/admin/users/' + id + '/keys', {})).key);
  }
  return { name, entry, pid: entry.child.pid, url, key: keys[0], keys, userId, dir };
}

/** Deletes the user (its record and keys) through the admin API. */
export async function deleteUser(gateway) {
  await fetch(`${gateway.url}/admin/users/${gateway.userId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
}
