// Turns store requests into script arguments and script replies back into LimitStates.
import type { Calendar } from '../../limits/calendar.js';
import type { Dimension, Window } from '../../limits/vocabulary.js';
import { scopedDimension } from '../keys.js';
import type { StoredGrant } from '../grants.js';
import type { CounterCheck, GrantSpec, LimitState, PeekRequest, ReserveRequest, SettleRequest } from '../types.js';

type Reply = Array<string | number>;

// Each script takes its arguments by name, as one JSON object: these types are what the scripts
// read (the comment at the top of each .lua file names the same fields), so an argument added
// here is added for both sides at once.

/** A calendar as the scripts read it: `o` = [base offset, at1, offset1, ...], `a` = anchor day. */
interface CalendarArg { readonly o: readonly number[]; readonly a: number }

const wire = new WeakMap<Calendar, CalendarArg>();

/** null for UTC and the 1st (the scripts' default), else the table in the scripts' form (made once per calendar). */
export function calendarArg(cal: Calendar | undefined): CalendarArg | null {
  if (!cal || (cal.anchorDay === 1 && cal.offsets.base === 0 && cal.offsets.transitions.length === 0)) return null;
  let arg = wire.get(cal);
  if (!arg) {
    arg = { o: [cal.offsets.base, ...cal.offsets.transitions.flat()], a: cal.anchorDay };
    wire.set(cal, arg);
  }
  return arg;
}

export interface ReserveArgs {
  readonly now: number;
  readonly rid: string;
  readonly mode: ReserveRequest['mode'];
  readonly out: number;
  readonly minOut: number;
  readonly parallel: number | null;
  readonly ttl: number;
  readonly conv: { readonly id: string; readonly parent: string | null; readonly budget: number | null } | null;
  readonly spend: { readonly fixed: number; readonly per: number; readonly priced: boolean };
  /**
   * The limited checks, six values each in one flat list: the check's number in the request (1 =
   * the first; the script's states name it), dim, window, limit, fixed, perOutput. Counters kept
   * only for reporting are not reserved (settle charges them), so they are not sent.
   */
  readonly checks: ReadonlyArray<string | number>;
  readonly cal: CalendarArg | null;
}

export function reserveArgs(req: ReserveRequest, now: number): string {
  const c = req.conversation;
  const args: ReserveArgs = {
    now, rid: req.requestId, mode: req.mode, out: req.maxOutput, minOut: req.minOutput, parallel: req.parallelLimit, ttl: req.ttlMs,
    conv: c ? { id: c.id, parent: c.parentId, budget: c.budgetMicros } : null,
    spend: { fixed: req.spend.fixed, per: req.spend.perOutput, priced: req.spend.priced },
    checks: req.checks.flatMap((k, i) => k.limit === null ? [] : [i + 1, scopedDimension(k), k.window, k.limit, k.fixed, k.perOutput]),
    cal: calendarArg(req.calendar),
  };
  return JSON.stringify(args);
}

export interface SettleArgs {
  readonly now: number;
  readonly rid: string;
  readonly root: string;
  readonly actual: SettleRequest['actual'];
  /**
   * Four values a check, one flat list: dim, window, limited (1|0), and the amount used of its
   * dimension (a check whose amount is 0 changes nothing and is not sent).
   */
  readonly checks: ReadonlyArray<string | number>;
  /** The limited checks with thresholds: [dim, window, 1, limit, label, point, label, point, ...]. */
  readonly watch: ReadonlyArray<ReadonlyArray<string | number>>;
  readonly ledger: readonly string[];
  readonly cal: CalendarArg | null;
  /** How long past its day a per-day rollup is kept, ms. */
  readonly hist: number;
}

export function settleArgs(req: SettleRequest, now: number, ledger: readonly string[], hist: number): string {
  const args: SettleArgs = {
    now, rid: req.requestId, root: req.conversationRoot ?? '', actual: req.actual,
    checks: req.checks.flatMap((c) => {
      const amount = req.actual[c.dimension] ?? 0;
      return amount === 0 ? [] : [scopedDimension(c), c.window, c.limit === null ? 0 : 1, amount];
    }),
    watch: req.checks.flatMap(watchedCheck),
    ledger, cal: calendarArg(req.calendar), hist,
  };
  return JSON.stringify(args);
}

/**
 * A check with thresholds as settle.lua reads it; none for the others. The checks themselves go
 * as one flat list: Redis's cjson takes several times longer to decode a list of small lists.
 */
function watchedCheck(c: CounterCheck): Array<Array<string | number>> {
  if (c.limit === null || !c.thresholds || c.thresholds.length === 0) return [];
  const out: Array<string | number> = [scopedDimension(c), c.window, 1, c.limit];
  for (const t of c.thresholds) out.push(t.label, t.point);
  return [out];
}

export interface PeekArgs {
  readonly now: number;
  readonly parallel: number | null;
  readonly conv: string;
  readonly checks: ReadonlyArray<readonly [string, string, number | null]>;
  readonly cal: CalendarArg | null;
}

export function peekArgs(q: PeekRequest, now: number): string {
  const args: PeekArgs = {
    now, parallel: q.parallelLimit, conv: q.conversationId ?? '',
    checks: q.checks.map((k) => [scopedDimension(k), k.window, k.limit] as const), cal: calendarArg(q.calendar),
  };
  return JSON.stringify(args);
}

export interface ResetArgs {
  readonly now: number;
  readonly checks: ReadonlyArray<readonly [string, string]>;
  readonly ledger: readonly string[];
  readonly cal: CalendarArg | null;
}

export function resetArgs(checks: readonly CounterCheck[], now: number, ledger: readonly string[], cal: Calendar | undefined): string {
  const args: ResetArgs = { now, checks: checks.map((k) => [scopedDimension(k), k.window] as const), ledger, cal: calendarArg(cal) };
  return JSON.stringify(args);
}

/** Decodes the 6-value state records that follow `skip` header values. */
export function decodeStates(reply: Reply, skip: number, checks: readonly CounterCheck[]): LimitState[] {
  const states: LimitState[] = [];
  for (let i = skip; i + 5 < reply.length; i += 6) {
    const tag = String(reply[i]);
    const limit = Number(reply[i + 1]);
    const used = Number(reply[i + 2]);
    const reserved = Number(reply[i + 3]);
    const resets = Number(reply[i + 4]);
    const resetsAt = resets < 0 ? null : resets;
    if (tag === 'parallel') {
      states.push({ dimension: 'parallel', window: 'instant', scope: 'user', limit, used, reserved, resetsAt: null });
    } else if (tag === 'conv' || tag === 'conv-unpriced') {
      states.push({ dimension: 'spend_micros', window: 'lifetime', scope: 'conversation', limit, used, reserved, resetsAt: null });
    } else {
      const check = checks[Number(tag) - 1];
      if (!check) throw new Error(`script returned an unknown check ${tag}`);
      states.push({ dimension: check.dimension as Dimension, window: check.window as Window, scope: check.keyId === undefined ? 'user' : 'key', limit, used, reserved, resetsAt });
    }
  }
  return states;
}

export interface GrantArgs {
  readonly id: string;
  /** The stored grant (StoredGrant in ../grants.ts), as JSON. */
  readonly grant: string;
  readonly ledger: readonly string[];
}

export function grantArgs(grant: GrantSpec, createdAt: number, ledger: readonly string[]): string {
  const stored: StoredGrant = { d: grant.dimension, n: grant.amount, u: 0, x: grant.expiresAt, t: createdAt };
  const args: GrantArgs = { id: grant.id, grant: JSON.stringify(stored), ledger };
  return JSON.stringify(args);
}
