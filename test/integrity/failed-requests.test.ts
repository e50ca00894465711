// Issue 20: request rates bound what reaches the upstream, failures included. A user with
// `requests_per_minute: 3` sends a burst the upstream fails (400, 429, 500), on the memory store
// and through two replicas sharing one Redis: the upstream sees at most three of them, the rest
// get Tollgate's own 429 without a byte sent upstream, and credits, messages, tokens and spend
// stay at zero. The failures are in the ledger, so the request counters still equal it.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminCall, startProcess, type GatewayProcess } from '../support/process.js';
import { uniqueId } from '../support/redis-client.js';
import { createTestUpstream, UPSTREAM_RETRY_AFTER_S, type TestUpstream } from '../support/upstream.js';

const LIMIT = 3;
const BURST = 24;
const FAILURES = ['fail:400', 'fail:429', 'fail:500'];

interface Answer { status: number; error: Record<string, unknown>; retryAfter: string | null }

/** A burst straddling a minute boundary meets two windows: start it early in a minute. */
async function awayFromMinuteEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 100));
}

const CASES = [['memory', 1], ['redis', 2]] as const;

describe.each(CASES)('failing requests on the %s store through %i replica(s)', (backend, replicas) => {
  let upstream: TestUpstream;
  let gateways: GatewayProcess[];

  beforeAll(async () => {
    upstream = await createTestUpstream();
    const redisUrl = backend === 'redis' ? inject('redisUrl') : undefined;
    gateways = await Promise.all(Array.from({ length: replicas },
      // The test upstream's `fail:` models have no price: served as free, so a spend limit can apply.
      () => startProcess({ upstreamUrl: upstream.url, ...(redisUrl ? { redisUrl } : {}), yaml: 'limits: {}\n', metering: { unpriced_models: 'allow' } })));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
    await upstream.close();
  });

  const ask = (i: number, key: string, model: string): Promise<Answer> => {
    const gw = gateways[i % gateways.length] as GatewayProcess;
    return fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: 50, messages: [{ role: 'user', content: `question ${i}` }] }),
    }).then(async (r) => ({ status: r.status, error: ((await r.json()) as { error: Record<string, unknown> }).error, retryAfter: r.headers.get('retry-after') }));
  };

  async function userWithKey(label: string, limits: Record<string, number>): Promise<{ id: string; key: string }> {
    const id = uniqueId(label);
    await adminCall(gateways[0]!.url, 'POST', '/admin/users', { id, limits });
    const { key } = (await adminCall(gateways.at(-1)!.url, 'POST', `/admin/users/${id}/keys`, {})) as { key: string };
    return { id, key };
  }

  it('the upstream sees at most requests_per_minute; the rest get Tollgate\'s 429 before any byte is sent; nothing else is charged', async () => {
    const { id, key } = await userWithKey('failing', {
      requests_per_minute: LIMIT, message_credits_per_month: 100, tokens_per_day: 100_000, spend_micros_per_day: 1_000_000,
    });
    await awayFromMinuteEdge();
    upstream.reset();
    const burst = await Promise.all(Array.from({ length: BURST }, (_, i) => ask(i, key, FAILURES[i % FAILURES.length]!)));
    // And one after another, once the burst has settled: still refused, the failures count.
    const after: Answer[] = [];
    for (let i = 0; i < FAILURES.length; i++) after.push(await ask(i, key, FAILURES[i]!));

    const ours = (a: Answer) => a.status === 429 && a.error.code === 'rate_limit_exceeded';
    const refused = [...burst, ...after].filter(ours);
    const passed = burst.filter((a) => !ours(a));
    // What passed must be the upstream's own failures (checked first, so that a stray answer, a 503
    // say, shows itself rather than as a count that is off by one).
    for (const a of passed) expect({ status: a.status, message: a.error.message }).toMatchObject({ status: expect.toBeOneOf([400, 429, 500]), message: 'upstream failure (test)' });
    expect(upstream.state.started).toBeLessThanOrEqual(LIMIT);
    expect(upstream.state.started).toBe(passed.length);
    expect(passed.length).toBeGreaterThan(0);
    expect(refused).toHaveLength(BURST + after.length - passed.length);
    for (const a of refused) {
      expect(a.error).toMatchObject({ dimension: 'requests', window: 'minute', limit: LIMIT });
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
    }

    // Counters: every request sent counts, each failure counted apart; nothing else is charged.
    const row = async (window: string) => {
      const usage = await adminCall(gateways[0]!.url, 'GET', `/admin/usage?window=${window}&limit=1000`) as { users: Array<Record<string, unknown>> };
      return usage.users.find((u) => u.id === id);
    };
    const expected = { requests: passed.length, failed_requests: passed.length, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };
    await expect.poll(() => row('day'), { timeout: 5_000 }).toMatchObject(expected);
    expect(await row('month')).toMatchObject(expected);
    const ledger = (await adminCall(gateways.at(-1)!.url, 'GET', `/admin/ledger?user=${id}`) as { records: Array<Record<string, unknown>> }).records;
    expect(ledger).toHaveLength(passed.length);
    for (const r of ledger) expect(r).toMatchObject({ outcome: 'upstream_error', costMicros: 0, promptTokens: 0, completionTokens: 0 });
  }, 120_000);

  it('an upstream 429 reaches the client with the upstream\'s own retry-after', async () => {
    const { key } = await userWithKey('upstream-429', { requests_per_minute: 100 });
    const a = await ask(0, key, 'fail:429');
    expect(a.status).toBe(429);
    expect(a.error.code).toBeNull();
    expect(a.retryAfter).toBe(String(UPSTREAM_RETRY_AFTER_S));
  });
});
