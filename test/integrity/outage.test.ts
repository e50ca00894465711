// The store goes away mid-load and comes back (a throwaway redis-server, stopped and restarted
// on the same port with its append-only file). Closed: 503 store_unavailable, not ready, still
// up, serving again by itself. Open: served throughout, charges journaled and replayed once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisStore } from '../../src/store/redis/store.js';
import { check } from '../store/contract.js';
import { startRedisServer } from '../support/global-redis.js';
import { reportIntegrity } from '../support/integrity-report.js';
import { adminCall, startProcess, type GatewayProcess } from '../support/process.js';
import { uniqueId } from '../support/redis-client.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';
import { tempDir } from '../support/temp-dir.js';

describe('a store outage', () => {
  let upstream: TestUpstream;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  const dir = tempDir('tollgate-outage');
  const redisArgs = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
  let closed: GatewayProcess;
  let open: GatewayProcess;

  beforeAll(async () => {
    upstream = await createTestUpstream();
    redis = await startRedisServer(redisArgs);
    const base = { upstreamUrl: upstream.url, redisUrl: redis.url, yaml: 'limits: {}\n' };
    [closed, open] = await Promise.all([startProcess(base), startProcess({ ...base, env: { TOLLGATE_FAIL_MODE: 'open' } })]);
  }, 60_000);
  afterAll(async () => {
    await closed.stop();
    await open.stop();
    redis.child.kill('SIGKILL');
    await upstream.close();
  });

  it('closed fails with 503 and recovers by itself; open serves and replays every charge exactly once', async () => {
    const keys: Record<string, string> = {};
    for (const [name, gw] of [['closed', closed], ['open', open]] as const) {
      const id = uniqueId(`outage-${name}`);
      await adminCall(gw.url, 'POST', '/admin/users', { id, limits: { tokens_per_day: 1_000_000 } });
      keys[name] = ((await adminCall(gw.url, 'POST', `/admin/users/${id}/keys`, {})) as { key: string }).key;
      keys[`${name}-user`] = id;
    }
    const ask = (gw: GatewayProcess, key: string) => fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] }),
    }).then(async (r) => ({ status: r.status, body: await r.text() }));

    const statuses = { before: [] as number[], during: [] as number[], after: [] as number[] };
    for (let i = 0; i < 5; i++) statuses.before.push((await ask(open, keys.open!)).status, (await ask(closed, keys.closed!)).status);

    redis.child.kill('SIGTERM');
    await new Promise((r) => redis.child.once('exit', r));
    let openServed = 0;
    for (let i = 0; i < 10; i++) {
      const c = await ask(closed, keys.closed!);
      statuses.during.push(c.status);
      if (c.status === 503) expect(JSON.parse(c.body).error.code).toBe('store_unavailable');
      if ((await ask(open, keys.open!)).status === 200) openServed++;
    }
    expect(statuses.during.every((s) => s === 503)).toBe(true);
    expect(openServed).toBe(10);
    expect((await fetch(`${closed.url}/readyz`)).status).toBe(503);
    expect(closed.child.exitCode).toBeNull();

    redis = await startRedisServer(redisArgs, redis.port);
    await expect.poll(async () => (await fetch(`${closed.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    await expect.poll(async () => (await ask(closed, keys.closed!)).status, { timeout: 10_000 }).toBe(200);

    const client = new Redis(redis.url);
    const store = createRedisStore({ client });
    const tokens = async (user: string) => (await store.peek({ userId: user, checks: [check('tokens', 'day', null, 0)], parallelLimit: null, conversationId: null }))[0];
    // 5 before + 10 during the outage, 379 tokens each, each charged exactly once after the replay.
    await expect.poll(async () => (await tokens(keys['open-user']!))?.used, { timeout: 10_000 }).toBe(15 * 379);
    const ledger = await store.ledger(keys['open-user']!, 100);
    expect(ledger).toHaveLength(15);
    expect(new Set(ledger.map((r) => r.requestId)).size).toBe(15);
    // The last one's settle runs after its answer: polled, as the open user's are.
    await expect.poll(async () => (await tokens(keys['closed-user']!))?.used, { timeout: 10_000 }).toBe(6 * 379);
    const counters = (await tokens(keys['open-user']!))?.used ?? -1;
    await store.close();
    reportIntegrity({
      scenario: 'redis stopped and restarted, fail open', sent: 15, succeeded: 15, rejected: 0, overspend: 0,
      ledgerRecords: ledger.length, ledgerSum: ledger.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0),
      counters, lost: Math.max(0, 15 - ledger.length), doubled: Math.max(0, ledger.length - 15),
    });
  }, 60_000);
});
