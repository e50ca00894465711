// The differential test's vocabulary: commands as plain data (so fast-check can shrink them and a
// shrunk failure can be kept as a regression case), their generators, and one interpreter that
// runs a sequence against two stores at once and fails on the first answer, state or ledger
// they disagree on.
import fc from 'fast-check';
import { calendarFor, type CalendarSettings } from '../../src/limits/user-calendar.js';
import { GRANT_DIMENSIONS, type Dimension, type Window } from '../../src/limits/vocabulary.js';
import type { Amounts, CounterCheck, LedgerRecord, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';

/** The counters a request may touch: (dimension, window, fixed amount, amount per output token). */
const PALETTE: ReadonlyArray<readonly [Dimension, Window, number, number]> = [
  ['requests', 'minute', 1, 0], ['requests', 'day', 1, 0], ['messages', 'day', 1, 0],
  ['tokens', 'minute', 20, 1], ['tokens', 'day', 40, 1], ['tokens', 'month', 40, 1],
  ['spend_micros', 'day', 30, 1.5], ['credits', 'month', 1, 0],
  // Issue 18: weeks, and a second window of a grant dimension.
  ['tokens', 'week', 40, 1], ['credits', 'day', 1, 0],
];
/** Each user's calendar: the second follows New York (DST) and renews monthly on the 31st. */
const CALENDARS: readonly CalendarSettings[] = [{ timeZone: 'UTC', monthAnchorDay: 1 }, { timeZone: 'America/New_York', monthAnchorDay: 31 }];
const GRANT_IDS = ['g0', 'g1', 'g2'] as const;
const LIMITS = [null, 0, 1, 2, 3, 50, 200, 1000, 5000] as const;
const CONVS = ['c0', 'c1', 'c2', 'c3'] as const;
const DAY = 86_400_000;

export type Cmd =
  | { t: 'reserve'; user: number; checks: Array<[number, number]>; maxOutput: number; minOutput: number; soft: boolean;
      parallel: number | null; ttlMs: number; conv: { id: number; parent: number | null; budget: number | null } | null;
      spend: { fixed: number; per: number; priced: boolean } }
  | { t: 'settle'; pick: number; actual: [number, number, number, number, number] }
  | { t: 'release'; pick: number }
  | { t: 'reset'; user: number; checks: number[] }
  | { t: 'tick'; ms: number }
  | { t: 'jump'; to: 'minute' | 'day' | 'month' | 'week'; offsetMs: number }
  | { t: 'grant'; user: number; id: number; dim: number; amount: number; expiresInMs: number | null }
  | { t: 'peek'; user: number; checks: Array<[number, number]>; parallel: number | null; conv: number | null };

const user = fc.integer({ min: 0, max: 1 });
const checks = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: PALETTE.length - 1 }), fc.integer({ min: 0, max: LIMITS.length - 1 })),
  { maxLength: 4, selector: ([i]) => i });
const parallel = fc.option(fc.integer({ min: 1, max: 3 }), { nil: null });

export const command: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    t: fc.constant('reserve' as const), user, checks,
    maxOutput: fc.integer({ min: 0, max: 400 }), minOutput: fc.integer({ min: 0, max: 50 }), soft: fc.boolean(),
    parallel, ttlMs: fc.constantFrom(2_000, 30_000, 600_000),
    conv: fc.option(fc.record({ id: fc.integer({ min: 0, max: 3 }), parent: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
      budget: fc.option(fc.constantFrom(0, 100, 800, 3000), { nil: null }) }), { nil: null }),
    spend: fc.record({ fixed: fc.integer({ min: 0, max: 60 }), per: fc.constantFrom(0, 0.5, 1.5, 2), priced: fc.boolean() }),
  }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('settle' as const), pick: fc.nat(),
    actual: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 500 }),
      fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 900 })) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reset' as const), user,
    checks: fc.uniqueArray(fc.integer({ min: 0, max: PALETTE.length - 1 }), { maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 40_000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('grant' as const), user, id: fc.integer({ min: 0, max: 2 }), dim: fc.integer({ min: 0, max: 2 }),
    amount: fc.constantFrom(1, 5, 300), expiresInMs: fc.option(fc.constantFrom(30_000, DAY), { nil: null }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('jump' as const), to: fc.constantFrom('minute' as const, 'day' as const, 'month' as const, 'week' as const),
    offsetMs: fc.integer({ min: -1_500, max: 1_500 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('peek' as const), user, checks, parallel,
    conv: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }) }) },
);

function counterChecks(picks: ReadonlyArray<readonly [number, number]>): CounterCheck[] {
  return picks.map(([i, l]) => {
    const [dimension, window, fixed, perOutput] = PALETTE[i % PALETTE.length] as (typeof PALETTE)[number];
    return { dimension, window, limit: LIMITS[l % LIMITS.length] ?? null, fixed, perOutput };
  });
}

/** The next minute, day or month boundary after `now`. */
function nextBoundary(to: 'minute' | 'day' | 'month' | 'week', now: number): number {
  if (to === 'minute') return Math.floor(now / 60_000) * 60_000 + 60_000;
  if (to === 'week') {
    const days = Math.floor(now / DAY);
    return (days - ((days + 3) % 7) + 7) * DAY; // the next Monday, UTC
  }
  if (to === 'day') return Math.floor(now / DAY) * DAY + DAY;
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

interface Reserved { user: string; id: string; checks: CounterCheck[]; root: string | null; at: number; who: number }

export interface Pair { a: Store; b: Store }

/**
 * Runs `cmds` against both stores (built on one manual clock starting at `start`) and throws on
 * the first difference, naming the step. Settles pick only among reservations made less than a
 * day ago: older settled ids are forgotten by both stores, but Redis forgets by real time.
 */
export async function runBoth(cmds: readonly Cmd[], make: (clock: ReturnType<typeof createManualClock>) => Promise<Pair>,
  users: readonly [string, string], start: number): Promise<void> {
  const clock = createManualClock(start);
  const cal = (who: number) => calendarFor(CALENDARS[who] as CalendarSettings, clock.now());
  const { a, b } = await make(clock);
  const reserved: Reserved[] = [];
  const same = (step: number, what: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) {
      throw new Error(`step ${step} (${what}): the stores disagree\n  first:  ${JSON.stringify(x)}\n  second: ${JSON.stringify(y)}`);
    }
  };
  const both = async <T>(step: number, what: string, f: (s: Store) => Promise<T>): Promise<void> => {
    same(step, what, await f(a), await f(b));
  };
  try {
    for (const [step, cmd] of cmds.entries()) {
      const now = clock.now();
      const label = JSON.stringify(cmd);
      switch (cmd.t) {
        case 'reserve': {
          const userId = users[cmd.user] as string;
          const req = {
            userId, requestId: `r${step}`, checks: counterChecks(cmd.checks), maxOutput: cmd.maxOutput, minOutput: cmd.minOutput,
            mode: cmd.soft ? ('soft' as const) : ('hard' as const), parallelLimit: cmd.parallel, ttlMs: cmd.ttlMs,
            conversation: cmd.conv && { id: CONVS[cmd.conv.id] as string, parentId: cmd.conv.parent === null ? null : (CONVS[cmd.conv.parent] as string), budgetMicros: cmd.conv.budget },
            spend: { fixed: cmd.spend.fixed, perOutput: cmd.spend.per, priced: cmd.spend.priced }, calendar: cal(cmd.user),
          };
          const x = await a.reserve(req);
          same(step, label, x, await b.reserve(req));
          if (x.ok) reserved.push({ user: userId, id: req.requestId, checks: req.checks, root: x.conversationRoot, at: now, who: cmd.user });
          break;
        }
        case 'settle':
        case 'release': {
          const live = reserved.filter((r) => now - r.at < DAY - 60_000);
          const r = live[cmd.pick % Math.max(live.length, 1)];
          if (!r) break;
          const [requests, messages, tokens, credits, spend_micros] = cmd.t === 'settle' ? cmd.actual : [0, 0, 0, 0, 0];
          const actual: Amounts = { requests, messages, tokens, credits, spend_micros };
          const record: LedgerRecord = { requestId: r.id, time: now, user: r.user, model: 'm', conversation: r.root, promptTokens: tokens,
            completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: spend_micros,
            outcome: cmd.t === 'settle' ? 'ok' : 'released', estimated: false, anomaly: null };
          await both(step, label, (s) => s.settle({ userId: r.user, requestId: r.id, checks: r.checks, actual, conversationRoot: r.root, record, calendar: cal(r.who) }));
          break;
        }
        case 'reset': {
          const userId = users[cmd.user] as string;
          const record: LedgerRecord = { requestId: `reset${step}`, time: now, user: userId, model: null, conversation: null, promptTokens: 0,
            completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'reset', estimated: false, anomaly: null };
          await both(step, label, (s) => s.resetCounters(userId, counterChecks(cmd.checks.map((i) => [i, 0])), record, cal(cmd.user)));
          break;
        }
        case 'tick':
          clock.advance(cmd.ms);
          break;
        case 'jump':
          clock.set(Math.max(now + 1, nextBoundary(cmd.to, now) + cmd.offsetMs));
          break;
        case 'peek':
          await both(step, label, (s) => s.peek({ userId: users[cmd.user] as string, checks: counterChecks(cmd.checks), parallelLimit: cmd.parallel,
            conversationId: cmd.conv === null ? null : (CONVS[cmd.conv] as string), calendar: cal(cmd.user) }));
          break;
        case 'grant': {
          const userId = users[cmd.user] as string;
          const grant = { id: GRANT_IDS[cmd.id] as string, dimension: GRANT_DIMENSIONS[cmd.dim % GRANT_DIMENSIONS.length] as (typeof GRANT_DIMENSIONS)[number],
            amount: cmd.amount, expiresAt: cmd.expiresInMs === null ? null : now + cmd.expiresInMs };
          const record: LedgerRecord = { requestId: `grant:${grant.id}`, time: now, user: userId, model: null, conversation: null, promptTokens: 0,
            completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'grant', estimated: false, anomaly: null, grant };
          await both(step, label, (s) => s.addGrant(userId, grant, record));
          break;
        }
      }
    }
    // The end state: every counter of the palette, what is in flight, every tree, and the ledger.
    const all = counterChecks(PALETTE.map((_, i) => [i, 0]));
    for (const userId of users) {
      const who = users.indexOf(userId);
      await both(cmds.length, `final counters of ${userId}`, (s) => s.peek({ userId, checks: all, parallelLimit: 100, conversationId: null, calendar: cal(who) }));
      await both(cmds.length, `grants of ${userId}`, (s) => s.listGrants(userId));
      for (const conv of CONVS) {
        await both(cmds.length, `final tree ${conv} of ${userId}`, (s) => s.peek({ userId, checks: [], parallelLimit: null, conversationId: conv }));
      }
      await both(cmds.length, `ledger of ${userId}`, (s) => s.ledger(userId, 1000));
    }
  } finally {
    await a.close();
    await b.close();
  }
}
