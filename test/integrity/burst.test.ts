// 500 concurrent requests from one user over 50 conversations, through TWO Tollgate processes
// sharing one Redis, against a tight token and spend limit. Hard mode: never a token or a micro
// over. Soft mode: over by at most one reservation. Either way the ledger has one record per
// success and sums to the counters.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster } from 'ioredis';
import { createRedisStore } from '../../src/store/redis/store.js';
import type { LimitState } from '../../src/store/types.js';
import { check } from '../store/contract.js';
import { reportIntegrity } from '../support/integrity-report.js';
import { startProcess, adminCall, type GatewayProcess } from '../support/process.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { startCluster, type TestCluster } from '../support/redis-cluster.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const TOKENS = 20_000;
const SPEND = 4_000;
const BURST = 500;

async function burst(gateways: GatewayProcess[], key: string) {
  const body = (i: number) => JSON.stringify({ model: 'gpt-4.1-nano', max_tokens: 400, messages: [{ role: 'user', content: `question ${i}` }] });
  const statuses = await Promise.all(Array.from({ length: BURST }, async (_, i) => {
    const gw = gateways[i % gateways.length] as GatewayProcess;
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', body: body(i),
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-conversation-id': `conv-${i % 50}` },
    });
    await r.arrayBuffer();
    return r.status;
  }));
  return { ok: statuses.filter((s) => s === 200).length, refused: statuses.filter((s) => s === 429 || s === 402).length, other: statuses.filter((s) => ![200, 402, 429].includes(s)) };
}

const CASES = [['redis', 'hard'], ['redis', 'soft'], ['redis cluster', 'hard']] as const;

describe.each(CASES)('a burst through two replicas on %s (%s mode)', (backend, mode) => {
  let upstream: TestUpstream;
  let gateways: GatewayProcess[];
  let cluster: TestCluster | null = null;
  const storeClient = () => (cluster ? new Cluster(cluster.nodes) : testRedis());

  beforeAll(async () => {
    // The upstream counts each request's own prompt, as a provider does (the capture's fixed 16
    // prompt tokens, for a prompt Tollgate now counts at 9, would be an overspend no provider makes),
    // and answers with the capture's 363 completion tokens, at most the ceiling.
    upstream = await createTestUpstream({ countPrompts: { completionTokens: 363 } });
    if (backend === 'redis cluster') cluster = await startCluster();
    const env: Record<string, string> = { TOLLGATE_ENFORCEMENT: mode, ...(cluster ? { REDIS_CLUSTER_NODES: cluster.seeds } : {}) };
    const redisUrl = cluster ? undefined : inject('redisUrl');
    gateways = await Promise.all([0, 1].map(() => startProcess({ upstreamUrl: upstream.url, ...(redisUrl ? { redisUrl } : {}), env, yaml: 'limits: {}\n' })));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
    cluster?.stop();
    await upstream.close();
  });

  it('never overspends (hard) or by at most one reservation (soft); ledger == successes == counters', async () => {
    const user = uniqueId(`burst-${mode}`);
    await adminCall(gateways[0]!.url, 'POST', '/admin/users', { id: user, limits: { tokens_per_day: TOKENS, spend_micros_per_day: SPEND } });
    const { key } = (await adminCall(gateways[1]!.url, 'POST', `/admin/users/${user}/keys`, {})) as { key: string };
    const result = await burst(gateways, key);
    expect(result.other).toEqual([]);
    expect(result.ok).toBeGreaterThan(0);
    expect(result.refused).toBeGreaterThan(0);

    const store = createRedisStore({ client: storeClient() });
    const checks = [check('tokens', 'day', TOKENS, 0), check('spend_micros', 'day', SPEND, 0)];
    let states: LimitState[] = [];
    await expect.poll(async () => {
      states = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      return states.map((s) => s.reserved);
    }, { timeout: 10_000 }).toEqual([0, 0]);
    const [tokens, spend] = states as [LimitState, LimitState];
    const ledger = await store.ledger(user, 10_000);
    await store.close();

    // The largest single reservation: the prompt estimate (body bytes) plus the 400-token ceiling.
    const maxTokensReserved = 200 + 400;
    const maxSpendReserved = Math.ceil(200 * 0.1) + Math.ceil(400 * 0.4);
    if (mode === 'hard') {
      expect(tokens.used).toBeLessThanOrEqual(TOKENS);
      expect(spend.used).toBeLessThanOrEqual(SPEND);
    } else {
      expect(tokens.used - TOKENS).toBeLessThanOrEqual(maxTokensReserved);
      expect(spend.used - SPEND).toBeLessThanOrEqual(maxSpendReserved);
    }
    expect(ledger.filter((r) => r.outcome === 'ok')).toHaveLength(result.ok);
    expect(ledger).toHaveLength(result.ok);
    expect(ledger.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0)).toBe(tokens.used);
    expect(ledger.reduce((n, r) => n + r.costMicros, 0)).toBe(spend.used);
    expect(new Set(ledger.map((r) => r.requestId)).size).toBe(ledger.length);
    const ledgerTokens = ledger.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0);
    reportIntegrity({
      scenario: `burst, 2 replicas, ${backend}, ${mode}`, sent: BURST, succeeded: result.ok, rejected: result.refused,
      overspend: Math.max(0, tokens.used - TOKENS) + Math.max(0, spend.used - SPEND),
      ledgerRecords: ledger.length, ledgerSum: ledgerTokens, counters: tokens.used,
      lost: Math.max(0, result.ok - ledger.length), doubled: Math.max(0, ledger.length - result.ok),
      budgetUsed: `${Math.round(100 * Math.max(tokens.used / TOKENS, spend.used / SPEND))} %`, estimateRatio: '-',
    });
  }, 60_000);
});
