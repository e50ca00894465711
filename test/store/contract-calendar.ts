// The contract's cases for windows that follow the user (issue 18): day, ISO week and anchored
// month windows in a user's time zone, across DST changes in two zones, month ends and year ends,
// with an injected clock. Run against every store beside contract.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { calendarFor, type CalendarSettings } from '../../src/limits/user-calendar.js';
import type { Amounts, CounterCheck, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { uniqueId } from '../support/redis-client.js';
import { check, plainReservation, type StoreFactory } from './contract.js';

const at = (iso: string) => Date.parse(iso);
const ZERO: Amounts = { requests: 0, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };

export function calendarContract(name: string, factory: StoreFactory): void {
  describe(`Store contract, calendars: ${name}`, () => {
    let store: Store;
    let clock: ReturnType<typeof createManualClock>;
    let user: string;
    let n = 0;

    beforeEach(async () => {
      clock = createManualClock(at('2026-01-01T00:00:00Z'));
      store = await factory(clock);
      user = uniqueId('calendar');
    });
    afterEach(async () => {
      await store.close();
    });

    const reserve = (settings: CalendarSettings, checks: CounterCheck[]) =>
      store.reserve(plainReservation({ userId: user, requestId: `c-${++n}`, checks, calendar: calendarFor(settings, clock.now()), ttlMs: 400 * 86_400_000 }));
    /** Admits one request a window, then refuses the next until the window's end, which the refusal names. */
    async function oneUntil(settings: CalendarSettings, c: CounterCheck, from: string, resets: string): Promise<void> {
      user = uniqueId('calendar'); // each case on its own
      clock.set(at(from));
      expect((await reserve(settings, [c])).ok).toBe(true);
      clock.set(at(resets) - 1000);
      const refused = await reserve(settings, [c]);
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(new Date(refused.denied.resetsAt ?? 0).toISOString()).toBe(new Date(at(resets)).toISOString());
      clock.set(at(resets));
      expect((await reserve(settings, [c])).ok).toBe(true);
    }

    const berlin = { timeZone: 'Europe/Berlin', monthAnchorDay: 1 };
    const newYork = { timeZone: 'America/New_York', monthAnchorDay: 1 };

    it('a day in Berlin is 23 hours when clocks spring forward and 25 when they fall back', async () => {
      const daily = check('requests', 'day', 1, 1);
      await oneUntil(berlin, daily, '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z');
      await oneUntil(berlin, daily, '2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z');
    });

    it('a day in New York across both changes, and its week holding the fall-back', async () => {
      await oneUntil(newYork, check('requests', 'day', 1, 1), '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z');
      await oneUntil(newYork, check('requests', 'day', 1, 1), '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z');
      await oneUntil(newYork, check('messages', 'week', 1, 1), '2026-10-26T04:00:00Z', '2026-11-02T05:00:00Z');
    });

    it('ISO weeks run Monday to Monday across a year end, in UTC and in a zone', async () => {
      await oneUntil({ timeZone: 'UTC', monthAnchorDay: 1 }, check('tokens', 'week', 10, 10), '2026-12-31T12:00:00Z', '2027-01-04T00:00:00Z');
      await oneUntil({ timeZone: 'Pacific/Auckland', monthAnchorDay: 1 }, check('tokens', 'week', 10, 10), '2027-01-01T12:00:00Z', '2027-01-03T11:00:00Z');
    });

    it('monthly anchors on the 29th, 30th and 31st fall on the last day of shorter months', async () => {
      const monthly = check('credits', 'month', 1, 1);
      await oneUntil({ timeZone: 'UTC', monthAnchorDay: 31 }, monthly, '2026-01-31T00:00:00Z', '2026-02-28T00:00:00Z');
      await oneUntil({ timeZone: 'UTC', monthAnchorDay: 31 }, monthly, '2026-03-15T00:00:00Z', '2026-03-31T00:00:00Z');
      await oneUntil({ timeZone: 'UTC', monthAnchorDay: 30 }, monthly, '2026-02-01T00:00:00Z', '2026-02-28T00:00:00Z');
      await oneUntil({ timeZone: 'UTC', monthAnchorDay: 29 }, monthly, '2028-02-01T00:00:00Z', '2028-02-29T00:00:00Z');
      await oneUntil({ timeZone: 'Europe/Berlin', monthAnchorDay: 31 }, monthly, '2026-04-01T00:00:00Z', '2026-04-29T22:00:00Z');
    });

    it('peek, a settle past its reservation and a reset use the user zone periods too', async () => {
      const cal = () => calendarFor(berlin, clock.now());
      const checks = [check('tokens', 'day', 100, 0), check('tokens', 'week', null, 0)];
      clock.set(at('2026-03-29T21:30:00Z')); // 23:30 in Berlin, the last half hour of the short day
      const requestId = `c-${++n}`;
      await store.settle({ userId: user, requestId, checks, actual: { ...ZERO, tokens: 40 }, conversationRoot: null, calendar: cal(),
        record: { requestId, time: clock.now(), user, model: 'm', conversation: null, promptTokens: 40, completionTokens: 0,
          cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false } });
      const peek = () => store.peek({ userId: user, checks, parallelLimit: null, conversationId: null, calendar: cal() });
      expect((await peek()).map((s) => [s.window, s.used, s.resetsAt])).toEqual([
        ['day', 40, at('2026-03-29T22:00:00Z')], ['week', 40, at('2026-03-29T22:00:00Z')],
      ]);
      clock.set(at('2026-03-29T22:00:00Z'));
      expect((await peek()).map((s) => [s.window, s.used, s.resetsAt])).toEqual([
        ['day', 0, at('2026-03-30T22:00:00Z')], ['week', 0, at('2026-04-05T22:00:00Z')],
      ]);
      clock.set(at('2026-03-29T21:59:00Z'));
      await store.resetCounters(user, checks, { requestId: 'reset', time: clock.now(), user, model: null, conversation: null, promptTokens: 0,
        completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'reset', estimated: false }, cal());
      expect((await peek()).map((s) => s.used)).toEqual([0, 0]);
    });
  });
}
