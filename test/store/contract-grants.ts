// The contract's cases for grants (issue 18): extra credits, tokens or micro-USD, added once per
// grant id, spent only after the period's allowance, kept across periods, until they expire.
// Run against every store beside contract.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Amounts, CounterCheck, GrantSpec, LedgerRecord, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { uniqueId } from '../support/redis-client.js';
import { check, plainReservation, type StoreFactory } from './contract.js';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ZERO: Amounts = { requests: 0, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };

export function grantsContract(name: string, factory: StoreFactory): void {
  describe(`Store contract, grants: ${name}`, () => {
    let store: Store;
    let clock: ReturnType<typeof createManualClock>;
    let user: string;
    let n = 0;

    beforeEach(async () => {
      clock = createManualClock(T0);
      store = await factory(clock);
      user = uniqueId('grants');
    });
    afterEach(async () => {
      await store.close();
    });

    const record = (requestId: string, over: Partial<LedgerRecord> = {}): LedgerRecord => ({ requestId, time: clock.now(), user, model: 'm',
      conversation: null, promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false, ...over });
    const grant = (g: Partial<GrantSpec> & { id: string }) => {
      const spec: GrantSpec = { dimension: 'credits', amount: 3, expiresAt: null, ...g };
      return store.addGrant(user, spec, record(`grant:${spec.id}`, { model: null, outcome: 'grant', grant: spec }));
    };
    const reserve = (checks: CounterCheck[], maxOutput = 0) => store.reserve(plainReservation({ userId: user, requestId: `g-${++n}`, checks, maxOutput }));
    const settle = (checks: CounterCheck[], actual: Partial<Amounts>, id = `g-${n}`) =>
      store.settle({ userId: user, requestId: id, checks, actual: { ...ZERO, ...actual }, conversationRoot: null, record: record(id) });
    /** Reserve and settle one message credit; whether it was admitted. */
    const message = async (checks: CounterCheck[]) => {
      const r = await reserve(checks);
      if (r.ok) await settle(checks, { credits: 1 });
      return r.ok;
    };

    it('a grant retried three times is added once, with one ledger record', async () => {
      const results = await Promise.all([grant({ id: 'pay-1' }), grant({ id: 'pay-1' }), grant({ id: 'pay-1' })]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      for (const r of results) expect(r.grant).toMatchObject({ id: 'pay-1', dimension: 'credits', amount: 3, used: 0, reserved: 0, expiresAt: null, createdAt: T0 });
      expect(await store.listGrants(user)).toHaveLength(1);
      const ledger = await store.ledger(user, 10);
      expect(ledger).toHaveLength(1);
      expect(ledger[0]).toMatchObject({ outcome: 'grant', grant: { id: 'pay-1', dimension: 'credits', amount: 3, expiresAt: null } });
    });

    it('is spent only after the period allowance, recorded in the ledger, and is not reset with the period', async () => {
      const checks = [check('credits', 'month', 2, 1)];
      await grant({ id: 'pack' });
      expect(await message(checks)).toBe(true);
      expect(await message(checks)).toBe(true);
      expect((await store.listGrants(user))[0]).toMatchObject({ used: 0 });
      expect(await message(checks)).toBe(true);
      expect((await store.listGrants(user))[0]).toMatchObject({ used: 1 });
      const ledger = await store.ledger(user, 1);
      expect(ledger[0]?.fromGrants).toEqual({ credits: 1 });
      // December: a new allowance, spent before the grant's last two credits.
      clock.set(Date.UTC(2026, 11, 1));
      for (let i = 0; i < 4; i++) expect(await message(checks)).toBe(true);
      expect(await message(checks)).toBe(false);
      expect((await store.listGrants(user))[0]).toMatchObject({ used: 3 });
    });

    it('a burst of reservations holds the allowance and the grant, never more', async () => {
      const checks = [check('credits', 'day', 1, 1)];
      await grant({ id: 'two', amount: 2 });
      const results = await Promise.all(Array.from({ length: 6 }, () => reserve(checks)));
      expect(results.filter((r) => r.ok)).toHaveLength(3);
      expect((await store.listGrants(user))[0]).toMatchObject({ used: 0, reserved: 2 });
    });

    it('hard mode lets the output ceiling run into the grant; settle takes only what went past the allowance', async () => {
      const checks = [check('tokens', 'day', 100, 10, 1), check('tokens', 'month', 100_000, 10, 1)];
      await grant({ id: 'tok', dimension: 'tokens', amount: 50 });
      const r = await reserve(checks, 500);
      expect(r.ok && r.output).toBe(140);
      await settle(checks, { tokens: 120 });
      expect((await store.listGrants(user))[0]).toMatchObject({ used: 20, reserved: 0 });
      expect((await store.ledger(user, 1))[0]?.fromGrants).toEqual({ tokens: 20 });
    });

    it('settles in any order take exactly what went past the allowance from the grant', async () => {
      const checks = [check('tokens', 'day', 150, 100)];
      await grant({ id: 'tok', dimension: 'tokens', amount: 100 });
      expect((await reserve(checks)).ok).toBe(true); // within the allowance: holds nothing of the grant
      expect((await reserve(checks)).ok).toBe(true); // 50 past it: holds 50 of the grant
      expect((await store.listGrants(user))[0]).toMatchObject({ reserved: 50 });
      await settle(checks, { tokens: 100 }, `g-${n}`);
      await settle(checks, { tokens: 100 }, `g-${n - 1}`);
      expect((await store.listGrants(user))[0]).toMatchObject({ used: 50, reserved: 0 });
      const drawn = (await store.ledger(user, 5)).map((r) => r.fromGrants?.tokens ?? 0);
      expect(drawn.reduce((a, b) => a + b, 0)).toBe(50);
    });

    it('a released reservation gives its hold on the grant back; an expired grant is not spent', async () => {
      const checks = [check('credits', 'day', 0, 1)];
      await grant({ id: 'soon', amount: 1, expiresAt: T0 + 60_000 });
      expect((await reserve(checks)).ok).toBe(true);
      expect((await reserve(checks)).ok).toBe(false);
      await settle(checks, {}, `g-${n - 1}`);
      expect((await store.listGrants(user))[0]).toMatchObject({ used: 0, reserved: 0 });
      clock.advance(60_000);
      expect((await reserve(checks)).ok).toBe(false);
    });

    it('grants of another dimension, and a key own limits, do not count', async () => {
      await grant({ id: 'usd', dimension: 'spend_micros', amount: 1_000_000 });
      expect(await message([check('credits', 'day', 0, 1)])).toBe(false);
      await grant({ id: 'cr', amount: 5 });
      const keyCheck: CounterCheck = { ...check('credits', 'day', 0, 1), keyId: 'k1' };
      expect(await message([keyCheck])).toBe(false);
      expect(await message([check('credits', 'day', 0, 1)])).toBe(true);
    });
  });
}
