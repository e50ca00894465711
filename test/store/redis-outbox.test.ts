// The Redis outbox between replicas: a delivery a replica claimed and never reported (it died) is
// taken over once idle for its backoff, never while fresh; replicas polling together never take
// the same delivery; a stream whose name was lost in a crash is found again by SCAN.
import { describe, expect, it } from 'vitest';
import { crossingPoint } from '../../src/limits/thresholds.js';
import { OUTBOX_STREAMS } from '../../src/store/redis/outbox-keys.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import type { CounterCheck, Store } from '../../src/store/types.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { plainReservation } from './contract.js';

const watched = (limit: number): CounterCheck => ({ dimension: 'tokens', window: 'day', limit, fixed: 0, perOutput: 0,
  thresholds: [0.25, 0.5, 0.75, 1].map((f) => ({ label: String(f), point: crossingPoint(limit, f) })) });

async function crossAll(store: Store, user: string): Promise<void> {
  const checks = [watched(100)];
  for (let i = 0; i < 4; i++) {
    await store.reserve(plainReservation({ userId: user, requestId: `r${i}`, checks }));
    await store.settle({ userId: user, requestId: `r${i}`, checks, conversationRoot: null, actual: { requests: 0, messages: 0, tokens: 25, credits: 0, spend_micros: 0 },
      record: { requestId: `r${i}`, time: 1, user, model: 'm', conversation: null, promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0,
        costMicros: 0, outcome: 'ok', estimated: false } });
  }
}

describe('Redis outbox between replicas', () => {
  it("takes over a dead replica's deliveries once idle, and two replicas never take the same one", async () => {
    const prefix = `${uniqueId('ob')}:`;
    const [a, b] = [createRedisStore({ client: testRedis(prefix) }), createRedisStore({ client: testRedis(prefix) })];
    const user = uniqueId('u');
    await a.outbox.subscribe('hook');
    await crossAll(a, user);
    const policy = (ms: number) => ({ retryAfter: () => ms, count: 100 });

    const claimedByA = await a.outbox.due('hook', 'replica-a', policy(60_000));
    expect(claimedByA.map((d) => [d.event.threshold, d.attempt])).toEqual([['0.25', 1], ['0.5', 1], ['0.75', 1], ['1', 1]]);
    // replica-a dies without reporting. Still fresh: nobody may take them.
    expect(await b.outbox.due('hook', 'replica-b', policy(60_000))).toEqual([]);
    await new Promise((r) => setTimeout(r, 30));
    // Idle past the backoff: b and a fresh a race for them; each is taken exactly once.
    const [x, y] = await Promise.all([b.outbox.due('hook', 'replica-b', policy(20)), a.outbox.due('hook', 'replica-a2', policy(20))]);
    const ids = [...x, ...y].map((d) => d.event.id);
    expect(ids.sort()).toEqual(claimedByA.map((d) => d.event.id).sort());
    expect([...x, ...y].every((d) => d.attempt === 2)).toBe(true);
    for (const d of [...x, ...y]) await b.outbox.delivered('hook', d, Date.now());
    await new Promise((r) => setTimeout(r, 30));
    expect(await b.outbox.due('hook', 'replica-b', policy(20))).toEqual([]);
    await a.close();
    await b.close();
  });

  it('finds a stream whose name was lost (a crash between the script and noting it) by SCAN', async () => {
    const prefix = `${uniqueId('ob')}:`;
    const client = testRedis(prefix);
    const first = createRedisStore({ client: testRedis(prefix) });
    await first.outbox.subscribe('hook');
    const user = uniqueId('u');
    await crossAll(first, user);
    await first.close();
    await client.del(OUTBOX_STREAMS);
    const next = createRedisStore({ client: testRedis(prefix) });
    expect((await next.outbox.due('hook', 'replica', { retryAfter: () => 60_000, count: 100 })).map((d) => d.event.user)).toEqual([user, user, user, user]);
    expect(await next.outbox.recent(null, 10)).toHaveLength(4);
    await next.close();
    await client.quit();
  });
});
