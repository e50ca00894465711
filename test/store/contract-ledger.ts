// The ledger and history part of the store contract: each case runs against MemoryStore and
// RedisStore (memory.test.ts, redis.test.ts), beside the main contract in contract.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Amounts, LedgerEntry, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/util/clock.js';
import { uniqueId } from '../support/redis-client.js';
import type { StoreFactory } from './contract.js';

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

    const settle = (requestId: string, actual: Partial<Amounts> = {}, model = 'm') => store.settle({
      userId: user, requestId, checks: [], actual: { ...ZERO, ...actual }, conversationRoot: null,
      record: { requestId, time: clock.now(), user, model, conversation: null, promptTokens: 1, completionTokens: 2,
        cachedTokens: 0, reasoningTokens: 0, costMicros: actual.spend_micros ?? 0, outcome: 'ok', estimated: false },
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
  });
}
