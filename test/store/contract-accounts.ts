// The contract's cases for accounts made on the fly (end users a service key names) and for
// keys with limits of their own: run against every store beside contract.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CounterCheck, Store, UserRecord } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { uniqueId } from '../support/redis-client.js';
import { check, plainReservation, type StoreFactory } from './contract.js';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

export function accountsContract(name: string, factory: StoreFactory): void {
  describe(`Store contract, accounts: ${name}`, () => {
    let store: Store;
    let clock: ReturnType<typeof createManualClock>;
    let user: string;
    const endUser = (id: string, createdAt = 1): UserRecord => ({ id, limits: {}, allowedModels: null, disabled: false, createdAt });

    beforeEach(async () => {
      clock = createManualClock(T0);
      store = await factory(clock);
      user = uniqueId('accounts');
    });
    afterEach(async () => {
      await store.close();
    });

    const keyCheck = (keyId: string, c: CounterCheck): CounterCheck => ({ ...c, keyId });
    let n = 0;
    const reserve = (checks: CounterCheck[], ttlMs = 60_000) => store.reserve(plainReservation({ userId: user, requestId: `r${++n}`, checks, ttlMs }));
    const settle = (requestId: string, checks: CounterCheck[], requests: number) => store.settle({
      userId: user, requestId, checks, conversationRoot: null, actual: { requests, messages: 0, tokens: 0, credits: 0, spend_micros: 0 },
      record: { requestId, time: clock.now(), user, model: 'm', conversation: null, promptTokens: 0, completionTokens: 0, cachedTokens: 0,
        reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false },
    });

    it('checks a key\'s own limit with its user\'s in the same reservation, and names the scope that refused', async () => {
      const forKey = (k: string) => [check('requests', 'day', 5, 1), keyCheck(k, check('requests', 'day', k === 'key_a' ? 2 : 10, 1))];
      const first = await reserve(forKey('key_a'));
      expect(first.ok && first.states.map((s) => [s.scope, s.limit, s.reserved])).toEqual([['user', 5, 1], ['key', 2, 1]]);
      expect((await reserve(forKey('key_a'))).ok).toBe(true);
      const third = await reserve(forKey('key_a'));
      expect(third.ok).toBe(false);
      expect(!third.ok && third.denied).toMatchObject({ scope: 'key', dimension: 'requests', window: 'day', limit: 2, reserved: 2 });
      for (let i = 0; i < 3; i++) expect((await reserve(forKey('key_b'))).ok).toBe(true);
      const over = await reserve(forKey('key_b'));
      expect(!over.ok && over.denied).toMatchObject({ scope: 'user', limit: 5, reserved: 5 });
      // Settling one of key_a's requests moves it from reserved to used on both scopes.
      await settle(`r${n - 5}`, forKey('key_a'), 1);
      const states = await store.peek({ userId: user, checks: forKey('key_a'), parallelLimit: null, conversationId: null });
      expect(states.map((s) => [s.scope, s.used, s.reserved])).toEqual([['user', 1, 4], ['key', 1, 1]]);
    });

    it('a key\'s limit holds under a concurrent burst', async () => {
      const checks = [check('tokens', 'day', 1000, 10), keyCheck('key_burst', check('tokens', 'day', 70, 10))];
      const results = await Promise.all(Array.from({ length: 30 }, () => reserve(checks)));
      expect(results.filter((r) => r.ok)).toHaveLength(7);
      expect(results.filter((r) => !r.ok && r.denied.scope === 'key')).toHaveLength(23);
    });

    it('a late settle charges the key\'s counter once its reservation has expired', async () => {
      const checks = [keyCheck('key_late', check('requests', 'day', 3, 1))];
      const r = await reserve(checks, 1000);
      expect(r.ok).toBe(true);
      clock.advance(5000);
      expect((await reserve(checks)).ok).toBe(true); // sweeps the expired one
      expect((await settle(`r${n - 1}`, checks, 1)).applied).toBe(true);
      const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      expect(state).toMatchObject({ scope: 'key', used: 1, reserved: 1 });
    });

    it('a reset zeroes a key\'s own counters too', async () => {
      const checks = [keyCheck('key_r', check('requests', 'day', 3, 1))];
      await reserve(checks);
      await settle(`r${n}`, checks, 1);
      await store.resetCounters(user, checks, { requestId: 'reset-k', time: clock.now(), user, model: null, conversation: null, promptTokens: 0,
        completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'reset', estimated: false });
      const [state] = await store.peek({ userId: user, checks, parallelLimit: null, conversationId: null });
      expect(state).toMatchObject({ scope: 'key', used: 0 });
    });

    it('sets a key\'s own limits, and not on a revoked key', async () => {
      await store.putKey(`d-${user}`, { keyId: `k-${user}`, userId: user, prefix: 'tg-x', name: null, createdAt: 1, expiresAt: null });
      expect(await store.setKeyLimits(`k-${user}`, { tokens_per_day: 9 })).toMatchObject({ limits: { tokens_per_day: 9 } });
      expect(await store.keyByDigest(`d-${user}`)).toMatchObject({ limits: { tokens_per_day: 9 } });
      expect(await store.keyById(`k-${user}`)).toMatchObject({ keyId: `k-${user}`, limits: { tokens_per_day: 9 } });
      await store.revokeKey(`k-${user}`);
      expect(await store.setKeyLimits(`k-${user}`, { tokens_per_day: 1 })).toBeNull();
      expect(await store.keyByDigest(`d-${user}`)).toBeNull();
      expect(await store.keyById(`k-${user}`)).toBeNull();
    });

    it('creates a user once however many ask at once, and never overwrites one', async () => {
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.createUser(endUser(user, i + 1), { by: `svc-${user}`, perMinute: 100 })));
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'exists')).toHaveLength(19);
      const winner = (await store.getUser(user))?.createdAt;
      await store.putUser({ ...endUser(user), limits: { tokens_per_day: 7 } });
      expect(await store.createUser(endUser(user, 99), null)).toBe('exists');
      expect(await store.getUser(user)).toMatchObject({ limits: { tokens_per_day: 7 } });
      expect(winner).toBeGreaterThan(0);
      const { users } = await store.listUsers(null, 10_000);
      expect(users.filter((u) => u.id === user)).toHaveLength(1);
    });

    it('caps the users one creator makes in a minute; the next minute it may make more', async () => {
      const cap = { by: `svc-${user}`, perMinute: 2 };
      expect(await store.createUser(endUser(`${user}-a`), cap)).toBe('created');
      expect(await store.createUser(endUser(`${user}-a`), cap)).toBe('exists');
      expect(await store.createUser(endUser(`${user}-b`), cap)).toBe('created');
      expect(await store.createUser(endUser(`${user}-c`), cap)).toBe('limited');
      expect(await store.getUser(`${user}-c`)).toBeNull();
      expect(await store.createUser(endUser(`${user}-c`), { by: `other-${user}`, perMinute: 2 })).toBe('created');
      clock.advance(60_000);
      expect(await store.createUser(endUser(`${user}-d`), cap)).toBe('created');
    });
  });
}
