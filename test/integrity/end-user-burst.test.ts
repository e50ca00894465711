// 200 concurrent first requests from one end user nobody has seen, through one service key and
// TWO Tollgate processes sharing one Redis (and one Redis Cluster): the user is created once (one "end user created" line
// across both replicas, one user record), and the default limits it gets are never overspent.
// The same burst on a user key with a tighter limit of its own: the key's limit holds too.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisStore } from '../../src/store/redis/store.js';
import type { LimitState } from '../../src/store/types.js';
import { check } from '../store/contract.js';
import { reportIntegrity } from '../support/integrity-report.js';
import { adminCall, startProcess, type GatewayProcess } from '../support/process.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { startCluster, type TestCluster } from '../support/redis-cluster.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const TOKENS = 20_000;
const BURST = 200;

describe.each(['redis', 'redis cluster'] as const)('a burst of first requests through two replicas on %s', (backend) => {
  let upstream: TestUpstream;
  let gateways: GatewayProcess[];
  let cluster: TestCluster | null = null;
  const storeClient = () => (cluster ? new Cluster(cluster.nodes) : testRedis());

  beforeAll(async () => {
    // The upstream counts each request's own prompt, as a provider does (the capture's fixed 16
    // prompt tokens, for a prompt Tollgate counts at 9, would be an overspend no provider makes).
    upstream = await createTestUpstream({ countPrompts: { completionTokens: 363 } });
    if (backend === 'redis cluster') cluster = await startCluster();
    const where = cluster ? { env: { REDIS_CLUSTER_NODES: cluster.seeds } } : { redisUrl: inject('redisUrl') };
    gateways = await Promise.all([0, 1].map(() => startProcess({ upstreamUrl: upstream.url, ...where, yaml: `limits:\n  tokens_per_day: ${TOKENS}\n` })));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
    cluster?.stop();
    await upstream.close();
  });

  it('creates the end user once and never passes its default limit; ledger == successes == counters', async () => {
    const { key } = (await adminCall(gateways[0]!.url, 'POST', '/admin/service-keys', { name: `burst-${process.pid}` })) as { key: string };
    const user = uniqueId('newcomer');
    const statuses = await Promise.all(Array.from({ length: BURST }, async (_, i) => {
      const gw = gateways[i % 2] as GatewayProcess;
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST', body: JSON.stringify({ model: 'gpt-4.1-nano', max_tokens: 400, messages: [{ role: 'user', content: `question ${i}` }] }),
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-tollgate-user': user },
      });
      await r.arrayBuffer();
      return r.status;
    }));
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(BURST);

    const created = gateways.flatMap((g) => g.output.join('').split('\n')).filter((l) => l.includes('end user created') && l.includes(user));
    expect(created).toHaveLength(1);
    const store = createRedisStore({ client: storeClient() });
    expect(await store.getUser(user)).toMatchObject({ id: user, createdBy: expect.stringMatching(/^key_/) });
    const checks = [check('tokens', 'day', TOKENS, 0)];
    let states: LimitState[] = [];
    await expect.poll(async () => {
      states = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      return states.map((s) => s.reserved);
    }, { timeout: 10_000 }).toEqual([0]);
    const ledger = await store.ledger(user, 10_000);
    await store.close();
    const tokens = (states[0] as LimitState).used;
    expect(tokens).toBeLessThanOrEqual(TOKENS);
    expect(ledger).toHaveLength(ok);
    const ledgerTokens = ledger.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0);
    expect(ledgerTokens).toBe(tokens);
    reportIntegrity({
      scenario: `first-sight burst of one end user, 2 replicas, ${backend}, hard`, sent: BURST, succeeded: ok, rejected: BURST - ok,
      overspend: Math.max(0, tokens - TOKENS), ledgerRecords: ledger.length, ledgerSum: ledgerTokens, counters: tokens,
      lost: Math.max(0, ok - ledger.length), doubled: Math.max(0, ledger.length - ok),
    });
  }, 60_000);

  it('a key\'s own limit inside its user\'s holds under the same burst; key counter == user counter == ledger', async () => {
    const KEY_TOKENS = 6_000;
    const user = uniqueId('keyed');
    await adminCall(gateways[0]!.url, 'POST', '/admin/users', { id: user });
    const { key, keyId } = (await adminCall(gateways[1]!.url, 'POST', `/admin/users/${user}/keys`, { limits: { tokens_per_day: KEY_TOKENS } })) as { key: string; keyId: string };
    const statuses = await Promise.all(Array.from({ length: BURST }, async (_, i) => {
      const r = await fetch(`${(gateways[i % 2] as GatewayProcess).url}/v1/chat/completions`, {
        method: 'POST', body: JSON.stringify({ model: 'gpt-4.1-nano', max_tokens: 400, messages: [{ role: 'user', content: `question ${i}` }] }),
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      });
      const body = await r.text();
      return r.status === 429 ? (JSON.parse(body) as { error: { scope: string } }).error.scope : r.status;
    }));
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 'key')).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(BURST);

    const store = createRedisStore({ client: storeClient() });
    const checks = [check('tokens', 'day', TOKENS, 0), { ...check('tokens', 'day', KEY_TOKENS, 0), keyId }];
    let states: LimitState[] = [];
    await expect.poll(async () => {
      states = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      return states.map((s) => s.reserved);
    }, { timeout: 10_000 }).toEqual([0, 0]);
    const ledger = await store.ledger(user, 10_000);
    await store.close();
    const [userTokens, keyTokens] = states.map((s) => s.used) as [number, number];
    expect(keyTokens).toBeLessThanOrEqual(KEY_TOKENS);
    expect(keyTokens).toBe(userTokens);
    expect(ledger).toHaveLength(ok);
    expect(ledger.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0)).toBe(keyTokens);
    reportIntegrity({
      scenario: `burst on a key with its own limit, 2 replicas, ${backend}, hard`, sent: BURST, succeeded: ok, rejected: BURST - ok,
      overspend: Math.max(0, keyTokens - KEY_TOKENS), ledgerRecords: ledger.length, ledgerSum: keyTokens, counters: keyTokens,
      lost: Math.max(0, ok - ledger.length), doubled: Math.max(0, ledger.length - ok),
    });
  }, 60_000);
});
