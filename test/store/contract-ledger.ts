// The ledger and history part of the store contract: each case runs against MemoryStore and
// RedisStore (memory.test.ts, redis.test.ts), beside the main contract in contract.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Amounts, LedgerEntry, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { uniqueId } from '../support/redis-client.js';
import { check, type StoreFactory } from './contract.js';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ZERO: Amounts = { requests: 0, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };
const idOrder = (a: string, b: string) => {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
};

export function ledgerContract(name: string, factory: StoreFactory): void {
  describe(`Store contract, ledger: ${name}`, () => {
    let store: Store;
    let clock: ReturnType<typeof createManualClock>;
    let user: string;

    beforeEach(async () => {
      clock = createManualClock(T0);
      store = await factory(clock);
      user = uniqueId('ledger');
    });
    afterEach(async () => {
      await store.close();
    });

    const DAY_CHECKS = (['requests', 'messages', 'tokens', 'credits', 'spend_micros'] as const).flatMap((d) => [check(d, 'day', null, 0), check(d, 'month', null, 0)]);
    const settle = (requestId: string, actual: Partial<Amounts> = {}, model: string | null = 'm', who = user, split = { in: 1, out: 2, cached: 0, reasoning: 0 }) => store.settle({
      userId: who, requestId, checks: DAY_CHECKS, actual: { ...ZERO, ...actual }, conversationRoot: null,
      record: { requestId, time: clock.now(), user: who, model, conversation: null, promptTokens: split.in, completionTokens: split.out,
        cachedTokens: split.cached, reasoningTokens: split.reasoning, costMicros: actual.spend_micros ?? 0, outcome: 'ok', estimated: false },
    });
    const pages = async (from: number | null, limit: number, cursor: string | null = null) => {
      const all: LedgerEntry[] = [];
      let count = 0;
      do {
        const page = await store.ledgerPage({ userId: user, cursor, from, limit });
        expect(page.entries.length).toBeLessThanOrEqual(limit);
        all.push(...page.entries);
        cursor = page.next;
        count++;
      } while (cursor !== null);
      return { all, count };
    };

    it('pages the whole ledger by cursor: newest first from now, oldest first from a time, each record once', async () => {
      for (let i = 0; i < 250; i++) {
        await settle(`r-${i}`);
        if (i % 7 === 0) clock.advance(1);
      }
      const back = await pages(null, 40);
      expect(back.count).toBe(7);
      expect(back.all.map((e) => e.record.requestId)).toEqual(Array.from({ length: 250 }, (_, i) => `r-${249 - i}`));
      expect(back.all.map((e) => e.id)).toEqual([...back.all.map((e) => e.id)].sort(idOrder).reverse());
      expect(new Set(back.all.map((e) => e.id)).size).toBe(250);

      const fwd = await pages(0, 50);
      expect(fwd.count).toBe(5); // a full last page knows it is the last
      expect(fwd.all.map((e) => e.record.requestId)).toEqual(Array.from({ length: 250 }, (_, i) => `r-${i}`));

      // From a time: the records written at or after it, oldest first.
      const mid = back.all[100] as LedgerEntry;
      const fromMs = Number(mid.id.split('-')[0]);
      const later = await pages(fromMs, 1000);
      expect(later.all[0]?.id.startsWith(`${fromMs}-`)).toBe(true);
      expect(later.all.every((e) => Number(e.id.split('-')[0]) >= fromMs)).toBe(true);
      expect(later.all.map((e) => e.record.requestId)).toContain(mid.record.requestId);
      expect(fwd.all.slice(-later.all.length)).toEqual(later.all);
      expect((await store.ledgerPage({ userId: user, cursor: null, from: 8.64e15, limit: 10 })).entries).toEqual([]);

      // A cursor from the middle goes on from there in either direction.
      const rest = await pages(null, 100, mid.id);
      expect(rest.all).toEqual(back.all.slice(101));
    });

    it('rolls each settle into per-day history, per user and model and for the deployment, in the same step; a repeat adds nothing', async () => {
      await settle('h1', { requests: 1, messages: 1, tokens: 30, credits: 1, spend_micros: 500 }, 'gpt-a', user, { in: 10, out: 20, cached: 4, reasoning: 5 });
      await settle('h1', { requests: 1, messages: 1, tokens: 30, credits: 1, spend_micros: 500 }, 'gpt-a', user, { in: 10, out: 20, cached: 4, reasoning: 5 });
      await settle('h2', { requests: 1, tokens: 7, spend_micros: 70 }, 'gpt-b', user, { in: 3, out: 4, cached: 0, reasoning: 0 });
      const other = `${user}-other`;
      await settle('h3', { requests: 1, messages: 1, tokens: 100, credits: 1, spend_micros: 1000 }, null, other, { in: 60, out: 40, cached: 0, reasoning: 0 });
      clock.advance(86_400_000);
      await settle('h4', { requests: 1, messages: 1, tokens: 9, credits: 1, spend_micros: 90 }, 'gpt-a');

      const days = await store.history({ userId: user, from: T0 - 86_400_000, to: T0 + 3 * 86_400_000 });
      expect(days.map((d) => d.day)).toEqual([Date.UTC(2026, 10, 23), Date.UTC(2026, 10, 24)]);
      expect(days[0]?.totals).toEqual({ requests: 2, messages: 1, tokens: 37, tokens_in: 13, tokens_out: 24, tokens_cached: 4, tokens_reasoning: 5, spend_micros: 570 });
      expect(days[0]?.models['gpt-a']).toEqual({ requests: 1, messages: 1, tokens: 30, tokens_in: 10, tokens_out: 20, tokens_cached: 4, tokens_reasoning: 5, spend_micros: 500 });
      expect(days[0]?.models['gpt-b']).toMatchObject({ requests: 1, tokens: 7, spend_micros: 70 });
      expect(days[1]?.totals).toMatchObject({ requests: 1, tokens: 9, spend_micros: 90 });
      // The rollup agrees with the counters the same settles charged.
      const [day] = await store.peek({ userId: user, checks: [check('spend_micros', 'day', null, 0)], parallelLimit: null, conversationId: null });
      expect(day?.used).toBe(90);
      expect((await store.history({ userId: other, from: T0, to: T0 }))[0]?.models['-']).toMatchObject({ tokens_in: 60, spend_micros: 1000 });
      const all = await store.history({ userId: null, from: T0, to: T0 + 86_400_000 });
      expect(all.map((d) => d.totals.spend_micros)).toEqual([1570, 90]);
      expect(all[0]?.models['gpt-a']?.tokens_in).toBe(10);
      expect(await store.history({ userId: `${user}-nobody`, from: T0, to: T0 })).toEqual([]);
    });

    it('ranks users by a dimension for the day and the month from the index settle keeps, in pages', async () => {
      const users = ['a', 'b', 'c', 'd'].map((x) => `${user}-${x}`);
      const spend = [300, 100, 400, 200];
      for (const [i, u] of users.entries()) await settle(`s-${i}`, { requests: 1, tokens: 10 * (i + 1), spend_micros: spend[i] as number }, 'm', u);
      await settle('s-9', { requests: 1, spend_micros: 50 }, 'm', users[1] as string); // b: 150
      const rank = (over: Partial<Parameters<Store['usageRanking']>[0]> = {}) =>
        store.usageRanking({ window: 'day', dimension: 'spend_micros', at: clock.now(), offset: 0, limit: 10, order: 'desc', ...over });
      expect(await rank()).toEqual({ total: 4, entries: [400, 300, 200, 150].map((value) => ({ userId: users[spend.indexOf(value === 150 ? 100 : value)], value })) });
      expect((await rank({ offset: 1, limit: 2 })).entries.map((e) => e.value)).toEqual([300, 200]);
      expect((await rank({ order: 'asc', limit: 1 })).entries).toEqual([{ userId: users[1], value: 150 }]);
      expect((await rank({ dimension: 'tokens' })).entries.map((e) => e.value)).toEqual([40, 30, 20, 10]);
      expect((await rank({ window: 'month' })).entries[0]).toEqual({ userId: users[2], value: 400 });
      // A new day starts an empty index; last month's stays readable at a time in it.
      clock.advance(86_400_000);
      expect((await rank()).total).toBe(0);
      expect((await rank({ window: 'month' })).total).toBe(4);
      expect((await rank({ at: T0 })).total).toBe(4);
      // A reset puts the user back to zero in the index too.
      await store.resetCounters(users[2] as string, [check('spend_micros', 'month', null, 0)], { requestId: 'reset', time: clock.now(), user: users[2] as string,
        model: null, conversation: null, promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'reset', estimated: false });
      expect((await rank({ window: 'month' })).entries.map((e) => e.value)).toEqual([300, 200, 150, 0]);
    });
  });
}
