// Redis specifics of reservations: a request's place in `resvs` (its expiry while in flight, a
// tombstone once settled) and its record. The contract suite holds both stores to the behaviour;
// these cases reach the paths only Redis has: many requests in flight (the count excludes the
// reserve's own place, taken first), tombstones past their day, and records an earlier build left.
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/store/redis/store.js';
import type { Amounts, CounterCheck, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { check, plainReservation } from './contract.js';

const T = Date.UTC(2026, 10, 23, 12);
const DAY = 86_400_000;
const ZERO: Amounts = { requests: 0, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };

const settleOf = (store: Store, userId: string, requestId: string, checks: CounterCheck[], actual: Partial<Amounts>) => store.settle({
  userId, requestId, checks, actual: { ...ZERO, ...actual }, conversationRoot: null,
  record: { requestId, time: T, user: userId, model: 'm', conversation: null, promptTokens: 1, completionTokens: 1, cachedTokens: 0, reasoningTokens: 0,
    costMicros: 0, outcome: 'ok', estimated: false },
});

describe('RedisStore reservations', () => {
  it('counts and reclaims exactly with many requests in flight', async () => {
    const clock = createManualClock(T);
    const reclaimed: string[] = [];
    const store = createRedisStore({ client: testRedis(), clock, onReclaim: (_, ids) => reclaimed.push(...ids) });
    const user = uniqueId('many');
    const checks = [check('tokens', 'day', 1_000_000, 10)];
    for (let i = 0; i < 80; i++) expect((await store.reserve(plainReservation({ userId: user, requestId: `a${i}`, checks, ttlMs: 5_000 }))).ok).toBe(true);
    const counted = await store.reserve(plainReservation({ userId: user, requestId: 'b', checks, parallelLimit: 200 }));
    expect(counted.states.find((s) => s.dimension === 'parallel')).toMatchObject({ used: 81 }); // itself included
    expect((await store.reserve(plainReservation({ userId: user, requestId: 'c', checks, parallelLimit: 81 }))).ok).toBe(false);
    clock.advance(6_000);
    const after = await store.reserve(plainReservation({ userId: user, requestId: 'd', checks, parallelLimit: 2 }));
    expect(after.ok).toBe(true);
    expect(after.states.map((s) => [s.dimension, s.used, s.reserved])).toEqual([['parallel', 2, 0], ['tokens', 0, 20]]); // b and d
    expect(reclaimed.sort()).toEqual(Array.from({ length: 80 }, (_, i) => `a${i}`).sort());
    await store.close();
  });

  it('keeps a settled id a day: then it may be reserved again, and its tombstone is tidied away', async () => {
    const clock = createManualClock(T);
    const client = testRedis();
    const store = createRedisStore({ client: testRedis(), clock });
    const user = uniqueId('tomb');
    const checks = [check('requests', 'minute', 100, 1)];
    expect((await store.reserve(plainReservation({ userId: user, requestId: 'r', checks }))).ok).toBe(true);
    expect(await settleOf(store, user, 'r', checks, { requests: 1 })).toEqual({ applied: true });
    clock.advance(DAY - 1);
    expect(await settleOf(store, user, 'r', checks, { requests: 1 })).toEqual({ applied: false });
    await expect(store.reserve(plainReservation({ userId: user, requestId: 'r', checks }))).rejects.toThrow(/already reserved or settled/);
    clock.advance(1);
    expect((await store.reserve(plainReservation({ userId: user, requestId: 'r', checks }))).ok).toBe(true);
    expect(await settleOf(store, user, 'r', checks, { requests: 1 })).toEqual({ applied: true });
    // A day later a reserve in a new minute tidies the tombstones past their day.
    await store.reserve(plainReservation({ userId: user, requestId: 'other', checks }));
    expect(await client.zscore(`tg:{u:${user}}:resvs`, 'r')).not.toBeNull();
    clock.advance(DAY + 60_000);
    await store.reserve(plainReservation({ userId: user, requestId: 'later', checks }));
    expect(await client.zscore(`tg:{u:${user}}:resvs`, 'r')).toBeNull();
    await store.close();
    await client.quit();
  });

  it('honours the tombstone an earlier build kept as the record (`done`) and keeps honouring it', async () => {
    const clock = createManualClock(T);
    const client = testRedis();
    const store = createRedisStore({ client: testRedis(), clock });
    const user = uniqueId('olddone');
    const checks = [check('tokens', 'day', 1000, 10)];
    await client.set(`tg:{u:${user}}:resv:old`, 'done', 'PX', DAY);
    expect(await settleOf(store, user, 'old', checks, { tokens: 5 })).toEqual({ applied: false });
    expect(await settleOf(store, user, 'old', checks, { tokens: 5 })).toEqual({ applied: false });
    await expect(store.reserve(plainReservation({ userId: user, requestId: 'old', checks }))).rejects.toThrow(/already reserved or settled/);
    const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
    expect(state).toMatchObject({ used: 0, reserved: 0 });
    await store.close();
    await client.quit();
  });
});
