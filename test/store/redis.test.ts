import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/store/redis/store.js';
import type { CounterCheck, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { check, plainReservation, storeContract } from './contract.js';
import { ledgerContract } from './contract-ledger.js';
import { accountsContract } from './contract-accounts.js';
import { calendarContract } from './contract-calendar.js';
import { grantsContract } from './contract-grants.js';
import { eventsContract } from './events-contract.js';
import { keyUseContract } from './contract-keys.js';

storeContract('redis', async (clock, onReclaim) => createRedisStore({ client: testRedis(), clock, ...(onReclaim ? { onReclaim } : {}) }));
// Its own key prefix: the deployment's rollups and the usage index are shared keys.
ledgerContract('redis', async (clock) => createRedisStore({ client: testRedis(`${uniqueId('lc')}:`), clock }));
accountsContract('redis', async (clock) => createRedisStore({ client: testRedis(), clock }));
calendarContract('redis', async (clock) => createRedisStore({ client: testRedis(), clock }));
grantsContract('redis', async (clock) => createRedisStore({ client: testRedis(), clock }));
keyUseContract('redis', async (clock) => createRedisStore({ client: testRedis(), clock }));
// A key prefix per store: the outbox's global set of streams is then this test's own.
eventsContract('redis', async (clock) => createRedisStore({ client: testRedis(`${uniqueId('ev')}:`), clock }));

const reservePlain = (store: Store, userId: string, requestId: string, checks: CounterCheck[], ttlMs: number) =>
  store.reserve(plainReservation({ userId, requestId, checks, ttlMs }));

/** A store on a manual clock at `at`, a new user and its key prefix, and a client for Redis's own view; `done` closes both. */
function storeAt(label: string, at = Date.UTC(2026, 10, 23, 12)) {
  const client = testRedis();
  const clock = createManualClock(at);
  const store = createRedisStore({ client: testRedis(), clock });
  const user = uniqueId(label);
  const done = async () => {
    await store.close();
    await client.quit();
  };
  return { client, clock, store, user, p: `tg:{u:${user}}:`, done };
}

/** A successful request's ledger record, model `m`, one prompt and one completion token unless `tokens` says otherwise. */
const recordOf = (requestId: string, user: string, time: number, tokens = { promptTokens: 1, completionTokens: 1 }) => ({
  requestId, time, user, model: 'm', conversation: null, ...tokens, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok' as const, estimated: false,
});

describe('RedisStore specifics', () => {
  it('reads Redis TIME when no clock is injected, and keys carry the user hash tag', async () => {
    const client = testRedis();
    const store = createRedisStore({ client: testRedis() });
    const user = uniqueId('time');
    const r = await reservePlain(store, user, 'r1', [check('requests', 'day', 5, 1)], 1000);
    const [sec] = await client.time();
    const dayStart = Math.floor(Number(sec) / 86400) * 86400;
    expect(r.states[0]?.resetsAt).toBe((dayStart + 86400) * 1000);
    const keys = await client.keys(`tg:{u:${user}}:*`);
    expect(keys).toContain(`tg:{u:${user}}:w:day:${dayStart}`);
    expect(await client.pttl(`tg:{u:${user}}:w:day:${dayStart}`)).toBeGreaterThan(86_400_000);
    await store.close();
    await client.quit();
  });

  it('gives a counter the same lifetime past its window under an injected clock long past', async () => {
    const client = testRedis();
    const t = Date.UTC(2020, 0, 1, 12); // a counter expiring at an absolute time would be gone at once
    const store = createRedisStore({ client: testRedis(), clock: createManualClock(t) });
    const user = uniqueId('past');
    const checks = [check('tokens', 'day', 1000, 10)];
    await reservePlain(store, user, 'r1', checks, 1000);
    const key = `tg:{u:${user}}:w:day:${Date.UTC(2020, 0, 1) / 1000}`;
    const ttl = await client.pttl(key);
    // Half a day left in the window, then the three days a day counter is kept.
    expect(ttl).toBeGreaterThan(3.5 * 86_400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(3.5 * 86_400_000);
    const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
    expect(state).toMatchObject({ used: 0, reserved: 10 });
    await store.close();
    await client.quit();
  });

  it('a refusal in a period nobody reserved in yet makes its hash with the marker, and the hash expires', async () => {
    const { client, store, user, done } = storeAt('refused', Date.UTC(2020, 0, 1, 12));
    expect((await reservePlain(store, user, 'r1', [check('tokens', 'day', 5, 10)], 1000)).ok).toBe(false);
    const key = `tg:{u:${user}}:w:day:${Date.UTC(2020, 0, 1) / 1000}`;
    expect(await client.hget(key, 'tokens:ev:refused')).toBe('1');
    // Half a day left in the window, then the three days a day counter is kept.
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(3.5 * 86_400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(3.5 * 86_400_000);
    await done();
  });

  it('reclaims and honours reservations written by the previous record format (rolling upgrade)', async () => {
    const { client, clock, store, user, p, done } = storeAt('upgrade');
    const counter = `${p}tokens:day:${Date.UTC(2026, 10, 23) / 1000}`;
    const checks = [check('tokens', 'day', 1000, 10)];
    // An earlier Tollgate held 400 tokens as a hash record and then crashed; another request of it was settled.
    await client.hset(counter, 'resv', 400);
    await client.hset(`${p}resv:old-1`, 'exp', clock.now() + 1000, `c:${counter}`, 400);
    await client.zadd(`${p}resvs`, clock.now() + 1000, 'old-1');
    await client.set(`${p}done:old-2`, '1');
    clock.advance(2000);
    const r = await reservePlain(store, user, 'new-1', checks, 60_000);
    expect(r.states[0]).toMatchObject({ used: 0, reserved: 10 });
    const record = recordOf('old-2', user, clock.now());
    const actual = { requests: 0, messages: 0, tokens: 5, credits: 0, spend_micros: 0 };
    expect(await store.settle({ userId: user, requestId: 'old-2', checks, actual, conversationRoot: null, record })).toEqual({ applied: false });
    const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
    expect(state).toMatchObject({ used: 0, reserved: 10 });
    await done();
  });

  it('carries the counters of the current periods over from the earlier layout (a hash per counter)', async () => {
    const { client, clock, store, user, p, done } = storeAt('layout');
    const day = Date.UTC(2026, 10, 23) / 1000;
    const checks = [check('tokens', 'day', 1000, 100), check('requests', 'day', null, 1)];
    // An earlier Tollgate counted 700 tokens today, 50 of them still held by a reservation in flight, and 3 requests.
    await client.hset(`${p}tokens:day:${day}`, 'used', 700, 'resv', 50);
    await client.hset(`${p}requests:day:${day}`, 'used', 3);
    await client.set(`${p}resv:old-1`, JSON.stringify({ c: [[`tokens:day:${day}`, '50']] }), 'PX', 60_000);
    await client.zadd(`${p}resvs`, clock.now() + 60_000, 'old-1');
    expect((await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null })).map((s) => [s.used, s.reserved])).toEqual([[700, 50], [3, 0]]);
    // 1000 - 700 - 50 leaves 250: a reservation of 300 is refused, one of 100 is admitted.
    expect((await reservePlain(store, user, 'big', [check('tokens', 'day', 1000, 300)], 60_000)).ok).toBe(false);
    expect((await reservePlain(store, user, 'new-1', checks, 60_000)).states[0]).toMatchObject({ used: 700, reserved: 150 });
    // The old reservation settles into the new layout.
    const record = recordOf('old-1', user, clock.now());
    const actual = { requests: 1, messages: 0, tokens: 40, credits: 0, spend_micros: 0 };
    expect(await store.settle({ userId: user, requestId: 'old-1', checks, actual, conversationRoot: null, record })).toEqual({ applied: true });
    expect((await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null })).map((s) => [s.used, s.reserved])).toEqual([[740, 100], [4, 0]]);
    await done();
  });

  it('adds the counters kept only for reporting without reading their hash: carried over from the earlier layout once, and a hash it makes expires', async () => {
    const { client, clock, store, user, p, done } = storeAt('blind');
    const month = Date.UTC(2026, 10, 1) / 1000;
    // An earlier Tollgate counted 3 requests this month (a hash per counter); tokens it never counted.
    await client.hset(`${p}requests:month:${month}`, 'used', 3);
    const checks = [check('tokens', 'day', 1000, 10), check('requests', 'month', null, 1), check('tokens', 'month', null, 10)];
    for (const id of ['a', 'b']) {
      expect((await reservePlain(store, user, id, checks, 60_000)).ok).toBe(true);
      const record = recordOf(id, user, clock.now(), { promptTokens: 7, completionTokens: 0 });
      const actual = { requests: 1, messages: 0, tokens: 7, credits: 0, spend_micros: 0 };
      expect(await store.settle({ userId: user, requestId: id, checks, actual, conversationRoot: null, record })).toEqual({ applied: true });
    }
    expect((await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null })).map((s) => s.used)).toEqual([14, 5, 14]);
    // The month's hash was made by these adds: kept until a month counter's retention past the month's end.
    const ttl = await client.pttl(`${p}w:month:${month}`);
    const end = Date.UTC(2026, 11, 1) + 40 * 86_400_000 - clock.now();
    expect(ttl).toBeGreaterThan(end - 60_000);
    expect(ttl).toBeLessThanOrEqual(end);
    await done();
  });

  /**
   * Two requests in flight, reserved by an earlier build with records as `held` writes them (the
   * counter of the day's tokens, the amount): 60 and 30 tokens of 500 used; the second one's
   * gateway died. The first settles (45 used), the next reserve reclaims the second.
   */
  /** `recordOf`: an earlier layout's record holding `amount` of the day's tokens (old-1's with the limit a grant dimension's counter kept, 1000). */
  async function settleAndReclaimEarlier(label: string, recordText: (dayMs: number, amount: string) => string) {
    const { client, clock, store, user, p, done } = storeAt(label);
    const dayMs = Date.UTC(2026, 10, 23);
    const checks = [check('tokens', 'day', 1000, 100)];
    await client.hset(`${p}w:day:${dayMs / 1000}`, 'x', '1', 'tokens', 500, 'tokens:r', 90);
    await client.set(`${p}resv:old-1`, recordText(dayMs, '60'), 'PX', 600_000);
    await client.set(`${p}resv:old-2`, recordText(dayMs, '30'), 'PX', 600_000);
    await client.zadd(`${p}resvs`, clock.now() + 60_000, 'old-1', clock.now() + 1_000, 'old-2');
    clock.advance(2000);
    const record = recordOf('old-1', user, clock.now());
    const actual = { requests: 1, messages: 0, tokens: 45, credits: 0, spend_micros: 0 };
    expect(await store.settle({ userId: user, requestId: 'old-1', checks, actual, conversationRoot: null, record })).toEqual({ applied: true });
    // old-1 gave back its 60 and used 45; the next reserve reclaims old-2's 30 and holds its own 100.
    const r = await reservePlain(store, user, 'new-1', checks, 60_000);
    expect(r.states[0]).toMatchObject({ used: 545, reserved: 100 });
    await done();
  }

  it('settles and reclaims reservations whose record is JSON with one list of counters (the layout before 2026-12-02)', async () => {
    await settleAndReclaimEarlier('record-f', (dayMs, amount) => JSON.stringify({ f: ['day', String(dayMs), 'tokens', amount, amount === '60' ? '1000' : ''] }));
  });

  it('settles and reclaims reservations whose record holds a list per counter (the format before records held one list)', async () => {
    await settleAndReclaimEarlier('record-c', (dayMs, amount) => JSON.stringify({ c: [['day', String(dayMs), 'tokens', amount, ...(amount === '60' ? ['1000'] : [])]] }));
  });

  it('settles and reclaims reservations whose record names its window hashes (the format before records named window and start)', async () => {
    await settleAndReclaimEarlier('record-w', (dayMs, amount) => JSON.stringify({ c: [[`w:day:${dayMs / 1000}`, 'tokens', amount]] }));
  });

  it('stores a ledger record whose model name is not well-formed UTF-16 (U+FFFD for the lone surrogate)', async () => {
    const store = createRedisStore({ client: testRedis(), clock: createManualClock(Date.UTC(2026, 10, 23, 12)) });
    const user = uniqueId('utf16');
    const checks = [check('tokens', 'day', 1000, 10)];
    await reservePlain(store, user, 'r1', checks, 60_000);
    const record = { requestId: 'r1', time: 1, user, model: 'gpt\ud800-x 🚀 "q"\n', conversation: null, promptTokens: 1, completionTokens: 1,
      cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok' as const, estimated: false };
    const actual = { requests: 0, messages: 0, tokens: 7, credits: 0, spend_micros: 0 };
    expect(await store.settle({ userId: user, requestId: 'r1', checks, actual, conversationRoot: null, record })).toEqual({ applied: true });
    expect((await store.ledger(user, 1))[0]?.model).toBe('gpt\ufffd-x 🚀 "q"\n');
    const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
    expect(state).toMatchObject({ used: 7, reserved: 0 });
    await store.close();
  });
});
