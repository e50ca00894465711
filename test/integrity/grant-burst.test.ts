// A grant under a burst through TWO Tollgate processes sharing one Redis (issue 18): the payment
// webhook is delivered three times (to both replicas) and adds one grant; 60 concurrent messages
// against 5 credits a day + 10 granted admit exactly 15; the grant is spent only for what went
// past the allowance, and the ledger agrees with the counters and the grant.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisStore } from '../../src/store/redis/store.js';
import { check } from '../store/contract.js';
import { startProcess, adminCall, type GatewayProcess } from '../support/process.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const ALLOWANCE = 5;
const GRANT = 10;
const BURST = 60;

describe('a grant under a burst through two replicas (Redis, hard mode)', () => {
  let upstream: TestUpstream;
  let gateways: GatewayProcess[];

  beforeAll(async () => {
    upstream = await createTestUpstream();
    gateways = await Promise.all([0, 1].map(() => startProcess({ upstreamUrl: upstream.url, redisUrl: inject('redisUrl'), yaml: 'limits: {}\n' })));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
    await upstream.close();
  });

  it('adds the grant once and never admits more than allowance + grant', async () => {
    const user = uniqueId('grant-burst');
    await adminCall(gateways[0]!.url, 'POST', '/admin/users', { id: user, limits: { message_credits_per_day: ALLOWANCE } });
    const { key } = (await adminCall(gateways[1]!.url, 'POST', `/admin/users/${user}/keys`, {})) as { key: string };
    const webhook = { id: 'evt-1', dimension: 'credits', amount: GRANT };
    await Promise.all([0, 1, 0].map((i) => adminCall(gateways[i]!.url, 'POST', `/admin/users/${user}/grants`, webhook)));

    const statuses = await Promise.all(Array.from({ length: BURST }, async (_, i) => {
      const r = await fetch(`${gateways[i % 2]!.url}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4.1-nano', max_tokens: 20, messages: [{ role: 'user', content: `question ${i}` }] }),
      });
      await r.arrayBuffer();
      return r.status;
    }));
    expect(statuses.filter((s) => s !== 200 && s !== 402)).toEqual([]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(ALLOWANCE + GRANT);

    const store = createRedisStore({ client: testRedis() });
    const grants = await store.listGrants(user);
    const [credits] = await store.peek({ userId: user, checks: [check('credits', 'day', ALLOWANCE, 0)], parallelLimit: null, conversationId: null });
    const ledger = await store.ledger(user, 1000);
    await store.close();
    expect(grants).toEqual([expect.objectContaining({ id: 'evt-1', amount: GRANT, used: GRANT, reserved: 0 })]);
    expect(credits).toMatchObject({ used: ALLOWANCE + GRANT, reserved: 0 });
    expect(ledger.filter((r) => r.outcome === 'grant')).toHaveLength(1);
    expect(ledger.filter((r) => r.outcome === 'ok')).toHaveLength(ALLOWANCE + GRANT);
    expect(ledger.reduce((n, r) => n + (r.fromGrants?.credits ?? 0), 0)).toBe(GRANT);
  }, 60_000);
});
