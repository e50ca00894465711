// Issue 22's burst: 40 concurrent requests of about 3,000 tokens each (2,700 of prompt, 300 of
// output) against 30,000 tokens a day, through two replicas on one Redis, hard mode, with an
// upstream that counts each prompt as the provider would (test/support/reference-count.ts).
// Reserved by the body's bytes, five were served and 54 % of the budget was ever used; reserved
// by the counted prompt, the budget is used (>= 85 %) and never passed.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisStore } from '../../src/store/redis/store.js';
import { check } from '../store/contract.js';
import { reportIntegrity } from '../support/integrity-report.js';
import { startProcess, adminCall, type GatewayProcess } from '../support/process.js';
import { english } from '../support/prompt-samples.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const TOKENS = 30_000;
const BURST = 40;
const OUTPUT = 300;

describe('40 concurrent 3,000-token requests against 30,000 tokens a day (two replicas, hard mode)', () => {
  let upstream: TestUpstream;
  let gateways: GatewayProcess[];

  beforeAll(async () => {
    upstream = await createTestUpstream({ countPrompts: { completionTokens: OUTPUT } });
    const redisUrl = inject('redisUrl');
    gateways = await Promise.all([0, 1].map(() => startProcess({ upstreamUrl: upstream.url, redisUrl, env: { TOLLGATE_ENFORCEMENT: 'hard' }, yaml: 'limits: {}\n' })));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
    await upstream.close();
  });

  const body = (i: number) => JSON.stringify({ model: 'gpt-4o-mini', max_tokens: OUTPUT, messages: [{ role: 'user', content: english(11_500, i + 1) }] });
  const post = (gw: GatewayProcess, key: string, i: number) =>
    fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: body(i), headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });

  it('uses at least 85 % of the budget and never passes it', async () => {
    // One request alone first, on another user: what it reserved (from its headers) against what the provider counted.
    const probeUser = uniqueId('probe');
    await adminCall(gateways[0]!.url, 'POST', '/admin/users', { id: probeUser, limits: { tokens_per_day: 10_000_000 } });
    const probeKey = ((await adminCall(gateways[0]!.url, 'POST', `/admin/users/${probeUser}/keys`, {})) as { key: string }).key;
    const probe = await post(gateways[0]!, probeKey, 0);
    const reserved = 10_000_000 - Number(probe.headers.get('x-ratelimit-remaining-tokens'));
    const reportedPrompt = ((await probe.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    const ratio = (reserved - OUTPUT) / reportedPrompt;
    expect(ratio).toBeGreaterThanOrEqual(1);
    expect(ratio).toBeLessThanOrEqual(1.15);

    const user = uniqueId('burst40');
    await adminCall(gateways[0]!.url, 'POST', '/admin/users', { id: user, limits: { tokens_per_day: TOKENS } });
    const { key } = (await adminCall(gateways[1]!.url, 'POST', `/admin/users/${user}/keys`, {})) as { key: string };
    const statuses = await Promise.all(Array.from({ length: BURST }, async (_, i) => {
      const r = await post(gateways[i % 2] as GatewayProcess, key, i);
      await r.arrayBuffer();
      return r.status;
    }));
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const ok = statuses.filter((s) => s === 200).length;

    const store = createRedisStore({ client: testRedis() });
    let used = 0;
    await expect.poll(async () => {
      const [t] = await store.peek({ userId: user, checks: [check('tokens', 'day', TOKENS, 0)], parallelLimit: null, conversationId: null });
      used = t?.used ?? -1;
      return t?.reserved;
    }, { timeout: 10_000 }).toBe(0);
    const ledger = await store.ledger(user, 1000);
    await store.close();
    const ledgerSum = ledger.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0);
    reportIntegrity({
      scenario: '40 x 3,000-token burst vs 30,000/day, 2 replicas, hard', sent: BURST, succeeded: ok, rejected: BURST - ok,
      overspend: Math.max(0, used - TOKENS), ledgerRecords: ledger.length, ledgerSum, counters: used,
      lost: Math.max(0, ok - ledger.length), doubled: Math.max(0, ledger.length - ok),
      budgetUsed: `${Math.round((100 * used) / TOKENS)} %`, estimateRatio: ratio.toFixed(3),
    });
    expect(used).toBeLessThanOrEqual(TOKENS);
    expect(used / TOKENS).toBeGreaterThanOrEqual(0.85);
    expect(ledgerSum).toBe(used);
    expect(ledger).toHaveLength(ok);
  }, 60_000);
});
