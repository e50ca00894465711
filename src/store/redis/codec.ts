// Turns store requests into script arguments and script replies back into LimitStates.
import type { Calendar } from '../../limits/calendar.js';
import type { Dimension, Window } from '../../limits/vocabulary.js';
import { scopedDimension } from '../keys.js';
import type { StoredGrant } from '../grants.js';
import type { Threshold } from '../../limits/thresholds.js';
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

function limitedChecks(checks: readonly CounterCheck[]): Array<string | number> {
  const out: Array<string | number> = [];
  for (let i = 0; i < checks.length; i++) {
    const k = checks[i] as CounterCheck;
    if (k.limit !== null) out.push(i + 1, scopedDimension(k), k.window, k.limit, k.fixed, k.perOutput);
  }
  return out;
}

export function reserveArgs(req: ReserveRequest, now: number): string {
  const c = req.conversation;
  const args: ReserveArgs = {
    now, rid: req.requestId, mode: req.mode, out: req.maxOutput, minOut: req.minOutput, parallel: req.parallelLimit, ttl: req.ttlMs,
    conv: c ? { id: c.id, parent: c.parentId, budget: c.budgetMicros } : null,
    spend: { fixed: req.spend.fixed, per: req.spend.perOutput, priced: req.spend.priced },
    checks: limitedChecks(req.checks),
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
   * The counters kept only for reporting as `dim|window|amount`, comma-separated: the script adds
   * most of them with HINCRBY as sent (nothing to decode or format).
   */
  readonly direct: string;
  /**
   * The limited counters as `dim|window|amount`, comma-separated: charged in the current period only
   * when the reservation is gone (reclaimed by a sweep), so the script reads them only then.
   */
  readonly limited: string;
  /**
   * The limited counters with thresholds as `dim window limit first label|point,...`, `;`-separated
   * ('' for none): the first point, then every threshold (parsed only once the counter reaches the
   * first point). The script reads a list once a call for the requests that send the same (those
   * of one plan). Dims, windows and labels hold no space, `;`, `|` nor `,`.
   */
  readonly watch: string;
  readonly ledger: readonly string[];
  readonly cal: CalendarArg | null;
  /** How long past its day a per-day rollup is kept, ms. */
  readonly hist: number;
}

/** A limit's thresholds as settle.lua reads them: the first point, and `label|point,...` (made once per list: the planner keeps its lists). */
const thresholdWire = new WeakMap<readonly Threshold[], readonly [number, string]>();

function thresholdsArg(list: readonly Threshold[]): readonly [number, string] {
  let wire = thresholdWire.get(list);
  if (!wire) {
    let first = Infinity;
    for (const t of list) first = Math.min(first, t.point);
    wire = [first, list.map((t) => `${t.label}|${t.point}`).join(',')];
    thresholdWire.set(list, wire);
  }
  return wire;
}

/** Counters whose amount is 0 change nothing and are not sent (nor decoded: each value costs the script). */
export function settleArgs(req: SettleRequest, now: number, ledger: readonly string[], hist: number): string {
  const direct: string[] = [];
  const limited: string[] = [];
  const watch: string[] = [];
  for (const c of req.checks) {
    const dim = scopedDimension(c);
    if (c.limit !== null && c.thresholds && c.thresholds.length > 0) {
      const [first, list] = thresholdsArg(c.thresholds);
      watch.push(`${dim} ${c.window} ${c.limit} ${first} ${list}`);
    }
    const amount = req.actual[c.dimension] ?? 0;
    if (amount === 0) continue;
    (c.limit === null ? direct : limited).push(`${dim}|${c.window}|${amount}`);
  }
  const args: SettleArgs = {
    now, rid: req.requestId, root: req.conversationRoot ?? '', actual: req.actual,
    direct: direct.join(','), limited: limited.join(','), watch: watch.join(';'), ledger, cal: calendarArg(req.calendar), hist,
  };
  return JSON.stringify(args);
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
