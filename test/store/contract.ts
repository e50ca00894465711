// One contract, every store: each test here runs against MemoryStore and against RedisStore on
// a real Redis server (memory.test.ts, redis.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dimension, Window } from '../../src/limits/vocabulary.js';
import type { Clock } from '../../src/core/clock.js';
import { createManualClock } from '../../src/core/clock.js';
import { ReservationIdTaken } from '../../src/store/errors.js';
import type { Amounts, CounterCheck, OnReclaim, ReserveRequest, Store } from '../../src/store/types.js';
import { uniqueId } from '../support/redis-client.js';

export type StoreFactory = (clock: Clock, onReclaim?: OnReclaim) => Promise<Store>;

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0); // 2026-11-23 12:00 UTC

export function check(dimension: Dimension, window: Window, limit: number | null, fixed: number, perOutput = 0): CounterCheck {
  return { dimension, window, limit, fixed, perOutput };
}

/** A hard-mode reservation with no output, slot or tree (a minute's ttl) unless `over` says otherwise. */
export function plainReservation(over: Pick<ReserveRequest, 'userId' | 'requestId' | 'checks'> & Partial<ReserveRequest>): ReserveRequest {
  return {
    maxOutput: 0, minOutput: 0, mode: 'hard', parallelLimit: null, ttlMs: 60_000, conversation: null,
    spend: { fixed: 0, perOutput: 0, priced: true }, ...over,
  };
}

const ZERO: Amounts = { requests: 0, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let clock: ReturnType<typeof createManualClock>;
    let user: string;
    let n = 0;
    const rid = () => `req-${++n}`;
    let reclaims: string[] = [];

    beforeEach(async () => {
      clock = createManualClock(T0);
      reclaims = [];
      store = await factory(clock, (userId, ids) => reclaims.push(...ids.map((id) => `${userId === user ? 'user' : userId}/${id}`)));
      user = uniqueId('contract');
    });
    afterEach(async () => {
      await store.close();
    });

    const reserve = (over: Partial<ReserveRequest> & { checks: CounterCheck[] }) =>
      store.reserve(plainReservation({ userId: user, requestId: rid(), ...over }));
    const settle = (requestId: string, checks: CounterCheck[], actual: Partial<Amounts>, extra: { root?: string | null } = {}) =>
      store.settle({
        userId: user, requestId, checks, actual: { ...ZERO, ...actual }, conversationRoot: extra.root ?? null,
        record: { requestId, time: clock.now(), user, model: 'm', conversation: null, promptTokens: 1, completionTokens: 2,
          cachedTokens: 0, reasoningTokens: 0, costMicros: actual.spend_micros ?? 0, outcome: 'ok', estimated: false },
      });

    it('admits within a limit and refuses past it, naming the limit', async () => {
      const checks = [check('requests', 'day', 2, 1)];
      expect((await reserve({ checks })).ok).toBe(true);
      const second = await reserve({ checks });
      expect(second.ok).toBe(true);
      expect(second.states[0]).toMatchObject({ dimension: 'requests', window: 'day', limit: 2, used: 0, reserved: 2 });
      const third = await reserve({ checks });
      expect(third.ok).toBe(false);
      if (third.ok) return;
      expect(third.denied).toMatchObject({ dimension: 'requests', window: 'day', scope: 'user', limit: 2, used: 0, reserved: 2 });
      expect(third.denied.resetsAt).toBe(Date.UTC(2026, 10, 24));
    });

    it('settle replaces the reservation with the real usage', async () => {
      const checks = [check('tokens', 'day', 10_000, 100, 1)];
      const r = await reserve({ checks, maxOutput: 500 });
      expect(r.ok && r.output).toBe(500);
      expect(r.states[0]).toMatchObject({ used: 0, reserved: 600 });
      const id = `req-${n}`;
      expect(await settle(id, checks, { tokens: 87 })).toEqual({ applied: true });
      const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      expect(state).toMatchObject({ dimension: 'tokens', window: 'day', used: 87, reserved: 0, limit: 10_000 });
    });

    it('settling twice changes nothing and writes one ledger record', async () => {
      const checks = [check('tokens', 'day', null, 10, 1)];
      await reserve({ checks, maxOutput: 10 });
      const id = `req-${n}`;
      expect((await settle(id, checks, { tokens: 30 })).applied).toBe(true);
      expect((await settle(id, checks, { tokens: 30 })).applied).toBe(false);
      const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      expect(state?.used).toBe(30);
      const ledger = await store.ledger(user, 10);
      expect(ledger).toHaveLength(1);
      expect(ledger[0]).toMatchObject({ requestId: id, user, model: 'm', promptTokens: 1, completionTokens: 2, outcome: 'ok', estimated: false });
    });

    it('a released reservation costs nothing', async () => {
      const checks = [check('requests', 'day', 1, 1), check('tokens', 'day', 100, 10, 1)];
      await reserve({ checks, maxOutput: 50 });
      await settle(`req-${n}`, checks, {});
      const again = await reserve({ checks, maxOutput: 50 });
      expect(again.ok).toBe(true);
      expect(again.states[0]).toMatchObject({ used: 0, reserved: 1 });
    });

    it('a request sent upstream that failed keeps its place in the request rate and costs nothing else (issue 20)', async () => {
      const limited = [check('requests', 'minute', 2, 1), check('tokens', 'day', 1000, 10, 1), check('credits', 'month', 5, 1)];
      const checks = [...limited, check('requests', 'day', null, 1), check('failed_requests', 'day', null, 0)];
      for (let i = 0; i < 2; i++) {
        expect((await reserve({ checks, maxOutput: 50 })).ok).toBe(true);
        await settle(`req-${n}`, checks, { requests: 1, failed_requests: 1 });
      }
      const third = await reserve({ checks, maxOutput: 50 });
      expect(third.ok).toBe(false);
      if (!third.ok) expect(third.denied).toMatchObject({ dimension: 'requests', window: 'minute', limit: 2, used: 2, reserved: 0 });
      const states = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      expect(states.map((s) => [s.dimension, s.window, s.used, s.reserved])).toEqual([
        ['requests', 'minute', 2, 0], ['tokens', 'day', 0, 0], ['credits', 'month', 0, 0], ['requests', 'day', 2, 0], ['failed_requests', 'day', 2, 0],
      ]);
      expect(await store.ledger(user, 10)).toHaveLength(2);
      clock.advance(60_000);
      expect((await reserve({ checks, maxOutput: 50 })).ok).toBe(true);
    });

    it('hard mode lowers the output ceiling to what the user can afford', async () => {
      const checks = [check('tokens', 'day', 1000, 100, 1), check('spend_micros', 'day', 10_000, 50, 20)];
      const r = await reserve({ checks, maxOutput: 5000, minOutput: 16 });
      // tokens allow 900 output, spend allows floor((10000 - 50) / 20) = 497.
      expect(r.ok && r.output).toBe(497);
      expect(r.states.find((s) => s.dimension === 'spend_micros')?.reserved).toBe(50 + 497 * 20);
      const refused = await reserve({ checks, maxOutput: 5000, minOutput: 16 });
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.denied.dimension).toBe('spend_micros');
    });

    it('soft mode reserves the worst case while anything is left, passing the limit by at most one reservation', async () => {
      const checks = [check('tokens', 'day', 1000, 100, 1)];
      const a = await reserve({ checks, maxOutput: 800, mode: 'soft' });
      const b = await reserve({ checks, maxOutput: 800, mode: 'soft' });
      const c = await reserve({ checks, maxOutput: 800, mode: 'soft' });
      expect([a.ok, b.ok, c.ok]).toEqual([true, true, false]);
      expect(b.ok && b.output).toBe(800);
      expect(b.states[0]).toMatchObject({ used: 0, reserved: 1800 });
      await settle(`req-${n - 2}`, checks, { tokens: 150 });
      await settle(`req-${n - 1}`, checks, { tokens: 150 });
      const d = await reserve({ checks, maxOutput: 800, mode: 'soft' });
      expect(d.ok).toBe(true);
      expect(d.states[0]).toMatchObject({ used: 300, reserved: 900 });
    });

    it('a zero amount is never refused (a tool turn with message credits exhausted)', async () => {
      const credits = [check('credits', 'month', 1, 1)];
      await reserve({ checks: credits });
      await settle(`req-${n}`, credits, { credits: 1 });
      expect((await reserve({ checks: credits })).ok).toBe(false);
      const toolTurn = [check('credits', 'month', 1, 0)];
      expect((await reserve({ checks: toolTurn })).ok).toBe(true);
      // Settling a zero reservation with a zero charge (an embeddings call's messages) must work too.
      expect((await settle(`req-${n}`, toolTurn, {})).applied).toBe(true);
    });

    it('limits requests in flight and frees the slot on settle', async () => {
      const checks = [check('requests', 'minute', null, 1)];
      const a = await reserve({ checks, parallelLimit: 2 });
      await reserve({ checks, parallelLimit: 2 });
      expect(a.states.find((s) => s.dimension === 'parallel')).toMatchObject({ limit: 2, used: 1 });
      const c = await reserve({ checks, parallelLimit: 2 });
      expect(c.ok).toBe(false);
      if (!c.ok) expect(c.denied).toMatchObject({ dimension: 'parallel', limit: 2, used: 2 });
      await settle('req-' + (n - 2), checks, { requests: 1 });
      expect((await reserve({ checks, parallelLimit: 2 })).ok).toBe(true);
    });

    it('counts every request in flight, whether or not a parallel limit applied when it was reserved', async () => {
      const checks = [check('requests', 'minute', null, 1)];
      for (let i = 0; i < 3; i++) expect((await reserve({ checks })).ok).toBe(true);
      const limited = await reserve({ checks, parallelLimit: 2 });
      expect(limited.ok).toBe(false);
      if (!limited.ok) expect(limited.denied).toMatchObject({ dimension: 'parallel', limit: 2, used: 3 });
      const [state] = await store.peek({ userId: user, checks: [], parallelLimit: 5, conversationId: null });
      expect(state).toMatchObject({ dimension: 'parallel', used: 3 });
    });

    it('peek changes nothing: an expired reservation shows as reserved, without a slot, until a reserve reclaims it', async () => {
      const checks = [check('tokens', 'day', 1000, 100)];
      await reserve({ checks, ttlMs: 5_000 });
      clock.advance(6_000);
      const peeked = await store.peek({ userId: user, checks, parallelLimit: 1, conversationId: null });
      expect(peeked.map((s) => [s.dimension, s.used, s.reserved])).toEqual([['parallel', 0, 0], ['tokens', 0, 100]]);
      const next = await reserve({ checks });
      expect(next.states[0]).toMatchObject({ used: 0, reserved: 100 });
    });

    it('reclaims every expired reservation at once, not a batch at a time', async () => {
      const checks = [check('tokens', 'day', 5000, 50)];
      for (let i = 0; i < 25; i++) expect((await reserve({ checks, ttlMs: 5_000 })).ok).toBe(true);
      clock.advance(6_000);
      expect((await reserve({ checks })).states[0]).toMatchObject({ used: 0, reserved: 50 });
    });

    it('a reserve that reaches the store after its id was released holds nothing; one sent twice holds once', async () => {
      // issue 13: the gateway gave up on a reserve (a timeout, a reset) and released its id; the
      // store ran the reserve afterwards.
      const checks = [check('tokens', 'day', 1000, 0, 1)];
      const late = rid();
      expect((await settle(late, checks, {})).applied).toBe(true);
      await expect(store.reserve(plainReservation({ userId: user, requestId: late, checks, maxOutput: 100, parallelLimit: 1 })))
        .rejects.toBeInstanceOf(ReservationIdTaken);
      const held = await store.peek({ userId: user, checks, parallelLimit: 1, conversationId: null });
      expect(held.map((s) => [s.dimension, s.used, s.reserved])).toEqual([['parallel', 0, 0], ['tokens', 0, 0]]);

      // A reserve that ran and was sent again (its reply lost): the second is refused, the release frees both.
      const twice = plainReservation({ userId: user, requestId: rid(), checks, maxOutput: 100, parallelLimit: 1 });
      expect((await store.reserve(twice)).ok).toBe(true);
      await expect(store.reserve(twice)).rejects.toBeInstanceOf(ReservationIdTaken);
      await settle(twice.requestId, checks, {});
      expect((await reserve({ checks, maxOutput: 100, parallelLimit: 1 })).ok).toBe(true);
    });

    it('reclaims a reservation nobody settled once it expires, and a late settle still lands once', async () => {
      const checks = [check('tokens', 'day', 1000, 0, 1)];
      const first = await reserve({ checks, maxOutput: 1000, parallelLimit: 1, ttlMs: 5_000 });
      expect(first.ok).toBe(true);
      const firstId = `req-${n}`;
      expect((await reserve({ checks, maxOutput: 10, parallelLimit: 1 })).ok).toBe(false);
      clock.advance(6_000);
      expect(reclaims).toEqual([]);
      const after = await reserve({ checks, maxOutput: 10, parallelLimit: 1 });
      expect(after.ok).toBe(true);
      // Each reclaim is reported with its user and id (for the operator's log line and count).
      expect(reclaims).toEqual([`user/${firstId}`]);
      expect(after.states.find((s) => s.dimension === 'tokens')).toMatchObject({ used: 0, reserved: 10 });
      expect((await settle('req-1', checks, { tokens: 300 })).applied).toBe(true);
      expect((await settle('req-1', checks, { tokens: 300 })).applied).toBe(false);
      const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      expect(state).toMatchObject({ used: 300, reserved: 10 });
    });

    it('day and month windows roll over at 00:00 UTC', async () => {
      const checks = [check('requests', 'day', 1, 1), check('credits', 'month', 2, 1)];
      clock.set(Date.UTC(2026, 10, 30, 23, 59, 59));
      await reserve({ checks });
      await settle(`req-${n}`, checks, { requests: 1, credits: 1 });
      const late = await reserve({ checks });
      expect(late.ok).toBe(false);
      if (!late.ok) expect(late.denied).toMatchObject({ dimension: 'requests', resetsAt: Date.UTC(2026, 11, 1) });
      clock.set(Date.UTC(2026, 11, 1, 0, 0, 1));
      const next = await reserve({ checks });
      expect(next.ok).toBe(true);
      expect(next.states.map((s) => [s.dimension, s.used, s.reserved, s.resetsAt])).toEqual([
        ['requests', 0, 1, Date.UTC(2026, 11, 2)],
        ['credits', 0, 1, Date.UTC(2027, 0, 1)],
      ]);
    });

    it('the month window knows leap years', async () => {
      clock.set(Date.UTC(2028, 1, 29, 12));
      const r = await reserve({ checks: [check('requests', 'month', 5, 1)] });
      expect(r.states[0]?.resetsAt).toBe(Date.UTC(2028, 2, 1));
    });

    it('keeps a conversation tree on its root: a sub-agent stops the whole tree, another tree goes on', async () => {
      const spend = { fixed: 100, perOutput: 0, priced: true };
      const checks = [check('spend_micros', 'day', null, 100)];
      const root = await reserve({ checks, spend, conversation: { id: 'root', parentId: null, budgetMicros: 250 } });
      expect(root.ok).toBe(true);
      expect(root.ok && root.conversationRoot).toBe('root');
      await settle(`req-${n}`, checks, { spend_micros: 100 });
      const child = await reserve({ checks, spend, conversation: { id: 'child', parentId: 'root', budgetMicros: null } });
      expect(child.ok && child.conversationRoot).toBe('root');
      await settle(`req-${n}`, checks, { spend_micros: 100 });
      const grandchild = await reserve({ checks, spend, conversation: { id: 'grand', parentId: 'child', budgetMicros: 999_999 } });
      expect(grandchild.ok).toBe(false);
      if (!grandchild.ok) expect(grandchild.denied).toMatchObject({ scope: 'conversation', window: 'lifetime', limit: 250, used: 200 });
      const other = await reserve({ checks, spend, conversation: { id: 'other', parentId: null, budgetMicros: null } });
      expect(other.ok).toBe(true);
      const states = await store.peek({ userId: user, checks: [], parallelLimit: null, conversationId: 'child' });
      expect(states[0]).toMatchObject({ scope: 'conversation', limit: 250, used: 200, reserved: 0 });
    });

    it('a root first named only as a parent is found by its own id', async () => {
      const spend = { fixed: 40, perOutput: 0, priced: true };
      expect((await reserve({ checks: [], spend, conversation: { id: 'kid', parentId: 'elder', budgetMicros: null } })).ok).toBe(true);
      const states = await store.peek({ userId: user, checks: [], parallelLimit: null, conversationId: 'elder' });
      expect(states).toEqual([{ dimension: 'spend_micros', window: 'lifetime', scope: 'conversation', limit: -1, used: 0, reserved: 40, resetsAt: null }]);
    });

    it('refuses an unpriced model in a tree with a budget', async () => {
      const r = await reserve({ checks: [], spend: { fixed: 0, perOutput: 0, priced: false }, conversation: { id: 'c', parentId: null, budgetMicros: 10 } });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.unpriced).toBe(true);
    });

    it('never admits more than the limit under a concurrent burst', async () => {
      const checks = [check('tokens', 'day', 1000, 30, 1)];
      const results = await Promise.all(Array.from({ length: 60 }, () => reserve({ checks, maxOutput: 70, minOutput: 70 })));
      expect(results.filter((r) => r.ok)).toHaveLength(10);
    });

    it('lists users by page, lists and revokes keys, deletes a user with its keys', async () => {
      const ids = [`${user}-a`, `${user}-b`, `${user}-c`];
      for (const id of ids) await store.putUser({ id, limits: {}, allowedModels: null, disabled: false, createdAt: 1 });
      const seen: string[] = [];
      let cursor: string | null = `${user}-`;
      for (let i = 0; i < 5 && cursor !== null; i++) {
        const page: { users: Array<{ id: string }>; next: string | null } = await store.listUsers(cursor, 2);
        seen.push(...page.users.map((u) => u.id).filter((id) => id.startsWith(user)));
        cursor = page.next !== null && page.next.startsWith(user) ? page.next : null;
      }
      expect(seen).toEqual(ids);
      await store.putKey(`d1-${user}`, { keyId: `k1-${user}`, userId: ids[0] as string, prefix: 'tg-1', name: 'one', createdAt: 1, expiresAt: null });
      await store.putKey(`d2-${user}`, { keyId: `k2-${user}`, userId: ids[0] as string, prefix: 'tg-2', name: null, createdAt: 2, expiresAt: null });
      expect((await store.listKeys(ids[0] as string)).map((k) => k.keyId)).toEqual([`k1-${user}`, `k2-${user}`]);
      expect(await store.revokeKey(`k1-${user}`)).toBe(true);
      expect(await store.revokeKey(`k1-${user}`)).toBe(false);
      expect(await store.keyByDigest(`d1-${user}`)).toBeNull();
      expect(await store.deleteUser(ids[0] as string)).toBe(true);
      expect(await store.keyByDigest(`d2-${user}`)).toBeNull();
      expect(await store.getUser(ids[0] as string)).toBeNull();
      expect(await store.deleteUser(ids[0] as string)).toBe(false);
    });

    it('resets counters for the current period and records it in the ledger', async () => {
      const checks = [check('tokens', 'day', 100, 10, 1)];
      await reserve({ checks, maxOutput: 10 });
      await settle(`req-${n}`, checks, { tokens: 80 });
      await store.resetCounters(user, checks, { requestId: 'reset-1', time: clock.now(), user, model: null, conversation: null, promptTokens: 0,
        completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'reset', estimated: false });
      const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      expect(state).toMatchObject({ used: 0, reserved: 0 });
      expect((await store.ledger(user, 1))[0]).toMatchObject({ requestId: 'reset-1', outcome: 'reset' });
    });

    it('keeps prompt calibration per model, shared: maxima only rise, samples add up', async () => {
      const model = `${user}-model`;
      const other = `${user}-other`;
      await store.recordCalibration([{ model, ratioPermille: 1150, surplus: 0, samples: 3 }, { model: other, ratioPermille: 0, surplus: 7, samples: 1 }]);
      await store.recordCalibration([{ model, ratioPermille: 1080, surplus: 12, samples: 2 }]);
      const all = await store.calibration();
      expect(all.find((c) => c.model === model)).toEqual({ model, ratioPermille: 1150, surplus: 12, samples: 5 });
      expect(all.find((c) => c.model === other)).toEqual({ model: other, ratioPermille: 0, surplus: 7, samples: 1 });
    });

    it('stores users, hashed keys and settings', async () => {
      await store.putUser({ id: user, limits: { tokens_per_day: 5, requests_per_day: null }, allowedModels: null, disabled: false, createdAt: 1 });
      expect(await store.getUser(user)).toMatchObject({ id: user, limits: { tokens_per_day: 5, requests_per_day: null } });
      expect(await store.getUser(`${user}-nobody`)).toBeNull();
      const digest = `d-${user}`;
      await store.putKey(digest, { keyId: `k-${user}`, userId: user, prefix: 'tg-abcd', name: null, createdAt: 1, expiresAt: null });
      expect(await store.keyByDigest(digest)).toMatchObject({ keyId: `k-${user}`, userId: user });
      expect(await store.keyByDigest(`${digest}-x`)).toBeNull();
    });
  });
}
