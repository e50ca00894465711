// Events, for every store: thresholds crossed at settle, the first refusal of a period and a tree
// reaching its budget are recorded once each, in the same step as the charge; the outbox hands
// each out for delivery and keeps its state. Run by memory.test.ts, redis.test.ts, cluster.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crossingPoint } from '../../src/limits/thresholds.js';
import { eventId } from '../../src/store/memory-outbox.js';
import type { ClaimPolicy, StoredEvent } from '../../src/store/outbox.js';
import type { Amounts, CounterCheck, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { uniqueId } from '../support/redis-client.js';
import { check, plainReservation, type StoreFactory } from './contract.js';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const DAY0 = Date.UTC(2026, 10, 23);
const ZERO: Amounts = { requests: 0, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };
const NOW: ClaimPolicy = { retryAfter: () => 0, count: 1000 };

/** A limited check with thresholds at these fractions. */
function watched(c: CounterCheck, fractions = [0.5, 0.8, 1]): CounterCheck {
  return { ...c, thresholds: fractions.map((f) => ({ label: String(f), point: crossingPoint(c.limit as number, f) })) };
}

export function eventsContract(name: string, factory: StoreFactory): void {
  describe(`Store events: ${name}`, () => {
    let store: Store;
    let clock: ReturnType<typeof createManualClock>;
    let user: string;
    let n = 0;

    beforeEach(async () => {
      clock = createManualClock(T0);
      store = await factory(clock);
      user = uniqueId('events');
    });
    afterEach(async () => {
      await store.close();
    });

    /** Reserves and settles one request that used `actual`. */
    async function spend(checks: CounterCheck[], actual: Partial<Amounts>, extra: { conversation?: { id: string; budgetMicros: number | null } } = {}) {
      const requestId = `r-${++n}`;
      const conversation = extra.conversation ? { id: extra.conversation.id, parentId: null, budgetMicros: extra.conversation.budgetMicros } : null;
      const r = await store.reserve(plainReservation({ userId: user, requestId, checks, conversation, spend: { fixed: actual.spend_micros ?? 0, perOutput: 0, priced: true } }));
      await store.settle({ userId: user, requestId, checks, actual: { ...ZERO, ...actual }, conversationRoot: r.ok ? r.conversationRoot : null,
        record: { requestId, time: clock.now(), user, model: 'm', conversation: null, promptTokens: 0, completionTokens: 0,
          cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false } });
      return r;
    }
    const events = async () => (await store.outbox.recent(user, 100)).reverse();
    const brief = (e: StoredEvent) => [e.type, e.threshold, e.used];

    it('records each threshold a settle crosses, once, with the event id both stores derive', async () => {
      const checks = [watched(check('tokens', 'day', 1000, 0))];
      await spend(checks, { tokens: 400 });
      expect(await events()).toEqual([]);
      await spend(checks, { tokens: 150 });
      await spend(checks, { tokens: 300 });
      await spend(checks, { tokens: 10 });
      await spend(checks, { tokens: 140 });
      const list = await events();
      expect(list.map(brief)).toEqual([['threshold', '0.5', 550], ['threshold', '0.8', 850], ['threshold', '1', 1000]]);
      expect(list[1]).toEqual({
        id: eventId({ ...(list[1] as StoredEvent) }), type: 'threshold', time: T0, user, dimension: 'tokens', window: 'day', scope: 'user',
        limit: 1000, used: 850, threshold: '0.8', periodStart: DAY0, conversation: null,
      });
      expect(list[1]?.id).toMatch(/^evt_[0-9a-f]{24}$/);
      expect(new Set(list.map((e) => e.id)).size).toBe(3);
    });

    it('one charge across several thresholds records each of them', async () => {
      await spend([watched(check('credits', 'month', 10, 0))], { credits: 9 });
      expect((await events()).map(brief)).toEqual([['threshold', '0.5', 9], ['threshold', '0.8', 9]]);
    });

    it('records nothing for a counter without thresholds or without a limit', async () => {
      await spend([check('tokens', 'day', 100, 0), check('requests', 'day', null, 0)], { tokens: 500, requests: 5 });
      expect(await events()).toEqual([]);
    });

    it('once per period: a reset does not record a crossing again, the next day does', async () => {
      const checks = [watched(check('requests', 'day', 4, 1), [0.5])];
      await spend(checks, { requests: 2 });
      await store.resetCounters(user, checks, { requestId: 'reset', time: clock.now(), user, model: null, conversation: null, promptTokens: 0,
        completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'reset', estimated: false });
      await spend(checks, { requests: 2 });
      expect((await events()).map(brief)).toEqual([['threshold', '0.5', 2]]);
      clock.set(DAY0 + 86_400_000 + 1000);
      await spend(checks, { requests: 3 });
      const list = await events();
      expect(list.map((e) => e.periodStart)).toEqual([DAY0, DAY0 + 86_400_000]);
      expect(list[0]?.id).not.toBe(list[1]?.id);
    });

    it('a concurrent burst records each threshold exactly once', async () => {
      const checks = [watched(check('tokens', 'day', 1000, 0))];
      await Promise.all(Array.from({ length: 40 }, () => spend(checks, { tokens: 30 })));
      expect((await events()).map((e) => e.threshold)).toEqual(['0.5', '0.8', '1']);
    });

    it('records the first refusal of a period, not the next ones, and not refusals by concurrency', async () => {
      const checks = [check('credits', 'month', 1, 1)];
      await spend(checks, { credits: 1 });
      for (let i = 0; i < 3; i++) expect((await spend(checks, {})).ok).toBe(false);
      await store.reserve(plainReservation({ userId: user, requestId: 'slot-1', checks: [], parallelLimit: 1 }));
      expect((await store.reserve(plainReservation({ userId: user, requestId: 'slot-2', checks: [], parallelLimit: 1 }))).ok).toBe(false);
      expect((await events()).map((e) => [e.type, e.dimension, e.window, e.limit, e.used, e.threshold, e.periodStart])).toEqual([
        ['refused', 'credits', 'month', 1, 1, null, Date.UTC(2026, 10, 1)],
      ]);
    });

    it("a key's own limit records no events; the user's limit beside it does", async () => {
      const keyCheck: CounterCheck = { ...check('tokens', 'day', 100, 0), keyId: 'k1' };
      const checks = [keyCheck, watched(check('tokens', 'day', 1000, 0))];
      await spend(checks, { tokens: 100 });
      expect((await spend([{ ...check('requests', 'day', 0, 1), keyId: 'k1' }], {})).ok).toBe(false);
      await spend(checks, { tokens: 450 });
      expect((await events()).map(brief)).toEqual([['threshold', '0.5', 550]]);
    });

    it('records a refusal by a limit of zero, whose counter did not exist', async () => {
      expect((await spend([check('messages', 'day', 0, 1)], {})).ok).toBe(false);
      expect((await events()).map((e) => [e.type, e.dimension, e.used])).toEqual([['refused', 'messages', 0]]);
    });

    it('records a conversation tree reaching its budget, and its first refusal', async () => {
      const conversation = { id: `tree-${n}`, budgetMicros: 300 };
      await spend([], { spend_micros: 200 }, { conversation });
      await spend([], { spend_micros: 100 }, { conversation });
      expect((await spend([], { spend_micros: 1 }, { conversation })).ok).toBe(false);
      expect((await spend([], { spend_micros: 1 }, { conversation })).ok).toBe(false);
      expect((await events()).map((e) => [e.type, e.scope, e.window, e.limit, e.used, e.threshold, e.conversation])).toEqual([
        ['conversation_budget', 'conversation', 'lifetime', 300, 300, '1', conversation.id],
        ['refused', 'conversation', 'lifetime', 300, 300, null, conversation.id],
      ]);
    });

    it('hands each event to each webhook, retries a failed one, and never again once delivered', async () => {
      const webhook = uniqueId('wh');
      await store.outbox.subscribe(webhook);
      await spend([watched(check('tokens', 'day', 100, 0), [0.5, 1])], { tokens: 100 });
      const mine = async (policy: ClaimPolicy) => (await store.outbox.due(webhook, 'c1', policy)).filter((d) => d.event.user === user);
      const first = await mine(NOW);
      expect(first.map((d) => [d.event.threshold, d.attempt])).toEqual([['0.5', 1], ['1', 1]]);
      await store.outbox.failed(webhook, first[0]!, 'HTTP 500', clock.now());
      await store.outbox.delivered(webhook, first[1]!, clock.now());
      expect(await mine({ retryAfter: () => 3_600_000, count: 1000 })).toEqual([]);
      const retry = await mine(NOW);
      expect(retry.map((d) => [d.event.threshold, d.attempt])).toEqual([['0.5', 2]]);
      await store.outbox.delivered(webhook, retry[0]!, clock.now());
      expect(await mine(NOW)).toEqual([]);
      const list = await store.outbox.recent(user, 10);
      const states = await store.outbox.states(list, [webhook, 'never-tried']);
      expect(list.map((e) => states.get(e.id)?.map((s) => [s.webhook, s.status, s.attempts]))).toEqual([
        [[webhook, 'delivered', 1], ['never-tried', 'pending', 0]],
        [[webhook, 'delivered', 2], ['never-tried', 'pending', 0]],
      ]);
    });

    it('a webhook gets the events recorded after it subscribed, not the backlog before it existed', async () => {
      const checks = [watched(check('tokens', 'day', 100, 0), [0.5, 1])];
      await spend(checks, { tokens: 50 });
      // Redis stream ids are in ms: the subscription must come in a later millisecond than the first event.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const webhook = uniqueId('wh');
      await store.outbox.subscribe(webhook);
      await spend(checks, { tokens: 50 });
      const due = (await store.outbox.due(webhook, 'c1', NOW)).filter((d) => d.event.user === user);
      expect(due.map((d) => d.event.threshold)).toEqual(['1']);
    });
  });
}
