// The scripts' arguments are written as JSON text directly (codec.ts), not stringified from an
// object: the text must be exactly what JSON.stringify makes of the head and plan the scripts read
// (ReserveHead / ReservePlan, SettleHead / SettlePlan), whatever the strings, numbers and checks,
// and however the made-once parts (a counter's names, a thresholds list's entry) are reused
// between requests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Calendar } from '../../src/limits/calendar.js';
import type { Threshold } from '../../src/limits/thresholds.js';
import { DIMENSIONS, WINDOWS } from '../../src/limits/vocabulary.js';
import { scopedDimension } from '../../src/store/keys.js';
import { calendarArg, reserveArgs, settleArgs, type ReserveHead, type ReservePlan, type SettleHead, type SettlePlan } from '../../src/store/redis/codec.js';
import { wellFormed } from '../../src/store/redis/ledger-codec.js';
import type { Amounts, CounterCheck, ReserveRequest, SettleRequest } from '../../src/store/types.js';

// The same arguments, stringified from the objects.
function reserveReference(req: ReserveRequest, now: number): [string, string] {
  const c = req.conversation;
  const head: ReserveHead = [req.requestId, now, req.maxOutput, req.minOutput, req.spend.fixed, c ? [c.id, c.parentId, c.budgetMicros] : null];
  const checks: Array<string | number> = [];
  req.checks.forEach((k, i) => {
    if (k.limit === null) return;
    checks.push(i + 1, scopedDimension(k), k.window, k.limit, k.perOutput);
    head.push(k.fixed);
  });
  const plan: ReservePlan = { mode: req.mode, parallel: req.parallelLimit, ttl: req.ttlMs, per: req.spend.perOutput, priced: req.spend.priced, checks, cal: calendarArg(req.calendar) };
  return [JSON.stringify(head), JSON.stringify(plan)];
}

function settleReference(req: SettleRequest, now: number, ledger: readonly string[], hist: number): string[] {
  const direct: string[] = [];
  const limited: string[] = [];
  const watch: string[] = [];
  for (const c of req.checks) {
    const dim = scopedDimension(c);
    if (c.limit !== null && c.thresholds && c.thresholds.length > 0) {
      const first = Math.min(...c.thresholds.map((t) => t.point));
      watch.push(`${dim} ${c.window} ${c.limit} ${first} ${c.thresholds.map((t) => `${t.label}|${t.point}`).join(',')}`);
    }
    (c.limit === null ? direct : limited).push(dim, c.window);
  }
  const r = req.record;
  const head: SettleHead = [req.requestId, now, req.conversationRoot ?? '', ledger.length, ...DIMENSIONS.map((d) => req.actual[d] ?? 0),
    wellFormed(r.model ?? ''), r.promptTokens, r.completionTokens, r.cachedTokens, r.reasoningTokens];
  const plan: SettlePlan = { direct, limited, watch: watch.join(';'), cal: calendarArg(req.calendar), hist };
  return [JSON.stringify(head), JSON.stringify(plan), ...ledger];
}

const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e21, 0.1, NaN, Infinity));
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('"', '\\', '\u2028', '\ud800', 'k:"x"'));
// A few lists, shared between checks and requests as the planner shares its lists.
const LISTS: readonly Threshold[][] = [
  [{ label: '0.5', point: 50 }, { label: '0.8', point: 80 }, { label: '1', point: 100 }],
  [{ label: 'half"', point: 5 }, { label: '\ud83d\ude00', point: 2 }],
  [{ label: '1', point: 1e12 }],
];
const check: fc.Arbitrary<CounterCheck> = fc.record({
  dimension: fc.constantFrom(...DIMENSIONS), window: fc.constantFrom(...WINDOWS), limit: fc.option(number, { nil: null }),
  fixed: number, perOutput: number, keyId: fc.option(text, { nil: undefined }), thresholds: fc.option(fc.constantFrom(...LISTS, []), { nil: undefined }),
}, { requiredKeys: ['dimension', 'window', 'limit', 'fixed', 'perOutput'] });
const calendar: fc.Arbitrary<Calendar | undefined> = fc.constantFrom(undefined, { offsets: { base: 0, transitions: [] }, anchorDay: 1 },
  { offsets: { base: 3_600_000, transitions: [[1_700_000_000_000, 7_200_000]] }, anchorDay: 15 });
const amounts: fc.Arbitrary<Amounts> = fc.record({
  requests: number, messages: number, tokens: number, credits: number, spend_micros: number, failed_requests: fc.option(number, { nil: undefined }),
}, { requiredKeys: ['requests', 'messages', 'tokens', 'credits', 'spend_micros'] });

describe('Redis script arguments: written JSON equals the stringified head and plan', () => {
  it('reserve', () => {
    fc.assert(fc.property(fc.array(check, { maxLength: 12 }), text, number, fc.option(fc.record({ id: text, parentId: fc.option(text, { nil: null }), budgetMicros: fc.option(number, { nil: null }) }), { nil: null }),
      fc.option(number, { nil: null }), fc.boolean(), calendar, (checks, requestId, now, conversation, parallelLimit, priced, cal) => {
        const req: ReserveRequest = {
          userId: 'u', requestId, checks, maxOutput: 100, minOutput: 16, mode: priced ? 'hard' : 'soft', parallelLimit, ttlMs: 60_000, conversation,
          spend: { fixed: now, perOutput: 0.6, priced }, ...(cal ? { calendar: cal } : {}),
        };
        expect(reserveArgs(req, now)).toEqual(reserveReference(req, now));
        expect(reserveArgs(req, now)).toEqual(reserveReference(req, now));
      }), { numRuns: 500 });
  });

  it('settle', () => {
    fc.assert(fc.property(fc.array(check, { maxLength: 12 }), amounts, text, fc.option(text, { nil: null }), fc.array(text, { maxLength: 30 }), number, calendar,
      fc.option(text, { nil: null }), fc.array(number, { minLength: 4, maxLength: 4 }),
      (checks, actual, requestId, conversationRoot, ledger, now, cal, model, [promptTokens, completionTokens, cachedTokens, reasoningTokens]) => {
        const record = { model, promptTokens, completionTokens, cachedTokens, reasoningTokens };
        const req = { userId: 'u', requestId, checks, actual, conversationRoot, record, ...(cal ? { calendar: cal } : {}) } as unknown as SettleRequest;
        expect(settleArgs(req, now, ledger, 34_560_000_000)).toEqual(settleReference(req, now, ledger, 34_560_000_000));
        expect(settleArgs(req, now, ledger, 34_560_000_000)).toEqual(settleReference(req, now, ledger, 34_560_000_000));
      }), { numRuns: 500 });
  });

  // The plan text is kept and given again to a request whose plan is made of the same values:
  // a request that differs from the one before in any one of those values gets its own.
  it('a plan made after another that differs in one value (a check, the mode, a limit, the calendar, ...) is its own', () => {
    const variant = fc.record({ at: fc.nat(), replacement: check, field: fc.constantFrom('check', 'limit', 'perOutput', 'thresholds', 'mode', 'parallel', 'ttl', 'per', 'priced', 'calendar', 'hist', 'none'), cal: calendar, list: fc.constantFrom(...LISTS, []) });
    fc.assert(fc.property(fc.array(check, { minLength: 1, maxLength: 8 }), variant, fc.option(number, { nil: null }), (checks, v, parallelLimit) => {
      // One check replaced, or one value of one check changed.
      const one = (c: CounterCheck): CounterCheck => (v.field === 'check' ? v.replacement : v.field === 'limit' ? { ...c, limit: (c.limit ?? 0) + 1 }
        : v.field === 'perOutput' ? { ...c, limit: c.limit ?? 1, perOutput: c.perOutput + 1 } : { ...c, limit: c.limit ?? 1, thresholds: v.list });
      const changed = ['check', 'limit', 'perOutput', 'thresholds'].includes(v.field) ? checks.map((c, i) => (i === v.at % checks.length ? one(c) : c)) : checks;
      const reserveOf = (cs: readonly CounterCheck[], other: boolean): ReserveRequest => ({
        userId: 'u', requestId: 'r', checks: cs, maxOutput: 100, minOutput: 16,
        mode: other && v.field === 'mode' ? 'soft' : 'hard', parallelLimit: other && v.field === 'parallel' ? (parallelLimit ?? 0) + 1 : parallelLimit,
        ttlMs: other && v.field === 'ttl' ? 1 : 60_000, conversation: null,
        spend: { fixed: 1, perOutput: other && v.field === 'per' ? 0.7 : 0.6, priced: !(other && v.field === 'priced') },
        ...(other && v.field === 'calendar' && v.cal ? { calendar: v.cal } : {}),
      });
      const settleOf = (req: ReserveRequest) => ({ userId: 'u', requestId: 'r', checks: req.checks, actual: { requests: 1, messages: 1, tokens: 1, credits: 1, spend_micros: 1 },
        conversationRoot: null, record: { model: 'm', promptTokens: 1, completionTokens: 1, cachedTokens: 0, reasoningTokens: 0 }, ...(req.calendar ? { calendar: req.calendar } : {}) } as unknown as SettleRequest);
      const first = reserveOf(checks, false);
      const second = reserveOf(changed, true);
      const hist = v.field === 'hist' ? 1000 : 2000;
      for (const [req, h] of [[first, 2000], [second, hist]] as const) {
        expect(reserveArgs(req, 5)).toEqual(reserveReference(req, 5));
        expect(settleArgs(settleOf(req), 5, [], h)).toEqual(settleReference(settleOf(req), 5, [], h));
      }
    }), { numRuns: 1000 });
  });
});
