// The scripts' arguments are written as JSON text directly (codec.ts), not stringified from an
// object: the text must be exactly what JSON.stringify makes of the ReserveArgs / SettleArgs
// object the scripts read, whatever the strings, numbers and checks, and however the made-once
// parts (a counter's names, a thresholds list's entry) are reused between requests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Calendar } from '../../src/limits/calendar.js';
import type { Threshold } from '../../src/limits/thresholds.js';
import { DIMENSIONS, WINDOWS } from '../../src/limits/vocabulary.js';
import { scopedDimension } from '../../src/store/keys.js';
import { calendarArg, reserveArgs, settleArgs, type ReserveArgs, type SettleArgs } from '../../src/store/redis/codec.js';
import type { Amounts, CounterCheck, ReserveRequest, SettleRequest } from '../../src/store/types.js';

// What reserveArgs and settleArgs returned when they stringified the objects.
function reserveReference(req: ReserveRequest, now: number): string {
  const c = req.conversation;
  const checks: Array<string | number> = [];
  req.checks.forEach((k, i) => {
    if (k.limit !== null) checks.push(i + 1, scopedDimension(k), k.window, k.limit, k.fixed, k.perOutput);
  });
  const args: ReserveArgs = {
    now, rid: req.requestId, mode: req.mode, out: req.maxOutput, minOut: req.minOutput, parallel: req.parallelLimit, ttl: req.ttlMs,
    conv: c ? { id: c.id, parent: c.parentId, budget: c.budgetMicros } : null,
    spend: { fixed: req.spend.fixed, per: req.spend.perOutput, priced: req.spend.priced }, checks, cal: calendarArg(req.calendar),
  };
  return JSON.stringify(args);
}

function settleReference(req: SettleRequest, now: number, ledger: readonly string[], hist: number): string {
  const direct: string[] = [];
  const limited: string[] = [];
  const watch: string[] = [];
  for (const c of req.checks) {
    const dim = scopedDimension(c);
    if (c.limit !== null && c.thresholds && c.thresholds.length > 0) {
      const first = Math.min(...c.thresholds.map((t) => t.point));
      watch.push(`${dim} ${c.window} ${c.limit} ${first} ${c.thresholds.map((t) => `${t.label}|${t.point}`).join(',')}`);
    }
    const amount = req.actual[c.dimension] ?? 0;
    if (amount !== 0) (c.limit === null ? direct : limited).push(`${dim}|${c.window}|${amount}`);
  }
  const args: SettleArgs = {
    now, rid: req.requestId, root: req.conversationRoot ?? '', actual: req.actual,
    direct: direct.join(','), limited: limited.join(','), watch: watch.join(';'), ledger, cal: calendarArg(req.calendar), hist,
  };
  return JSON.stringify(args);
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

describe('Redis script arguments: written JSON equals the stringified object', () => {
  it('reserve', () => {
    fc.assert(fc.property(fc.array(check, { maxLength: 12 }), text, number, fc.option(fc.record({ id: text, parentId: fc.option(text, { nil: null }), budgetMicros: fc.option(number, { nil: null }) }), { nil: null }),
      fc.option(number, { nil: null }), fc.boolean(), calendar, (checks, requestId, now, conversation, parallelLimit, priced, cal) => {
        const req: ReserveRequest = {
          userId: 'u', requestId, checks, maxOutput: 100, minOutput: 16, mode: priced ? 'hard' : 'soft', parallelLimit, ttlMs: 60_000, conversation,
          spend: { fixed: now, perOutput: 0.6, priced }, ...(cal ? { calendar: cal } : {}),
        };
        expect(reserveArgs(req, now)).toBe(reserveReference(req, now));
        expect(reserveArgs(req, now)).toBe(reserveReference(req, now));
      }), { numRuns: 500 });
  });

  it('settle', () => {
    fc.assert(fc.property(fc.array(check, { maxLength: 12 }), amounts, text, fc.option(text, { nil: null }), fc.array(text, { maxLength: 30 }), number, calendar,
      (checks, actual, requestId, conversationRoot, ledger, now, cal) => {
        const req = { userId: 'u', requestId, checks, actual, conversationRoot, ...(cal ? { calendar: cal } : {}) } as unknown as SettleRequest;
        expect(settleArgs(req, now, ledger, 34_560_000_000)).toBe(settleReference(req, now, ledger, 34_560_000_000));
        expect(settleArgs(req, now, ledger, 34_560_000_000)).toBe(settleReference(req, now, ledger, 34_560_000_000));
      }), { numRuns: 500 });
  });
});
