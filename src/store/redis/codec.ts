// Turns store requests into script arguments and script replies back into LimitStates.
import type { Calendar } from '../../limits/calendar.js';
import { DIMENSIONS, type Dimension, type Window } from '../../limits/vocabulary.js';
import { scopedDimension } from '../keys.js';
import type { StoredGrant } from '../grants.js';
import type { Threshold } from '../../limits/thresholds.js';
import type { CounterCheck, GrantSpec, LimitState, PeekRequest, ReserveRequest, SettleRequest } from '../types.js';
import { wellFormed } from './ledger-codec.js';

type Reply = Array<string | number>;

// Each script takes its arguments by name, as one JSON object (reserve and settle: see below):
// these types are what the scripts read (the comment at the top of each .lua file names the same
// fields), so an argument added here is added for both sides at once.

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

// Reserve and settle (batched, lua/batch.lua) take their arguments as JSON too, in two parts: a
// head that is the request's own, and a plan the requests of one plan share (a string the script
// decodes once a call however many of its requests send it: each value decoded costs Redis more
// than anything else about a request). Settle's ledger record follows as arguments of its own.
// Both are written as JSON text directly, the same text JSON.stringify makes of the types below
// (test/store/redis-codec.test.ts compares the two), with the counters' names made once.

/**
 * A reserve's head: [rid, now, out, minOut, spendFixed, conv, fixed...]: conv = [id, parent | null,
 * budget | null] | null; then each limited check's fixed amount, in the plan's order (a prompt's
 * estimate is the request's own).
 */
export type ReserveHead = [string, number, number, number, number, [string, string | null, number | null] | null, ...number[]];

export interface ReservePlan {
  readonly mode: ReserveRequest['mode'];
  readonly parallel: number | null;
  readonly ttl: number;
  /** Spend per output token (a tree's budget is checked in micro-USD). */
  readonly per: number;
  readonly priced: boolean;
  /**
   * The limited checks, five values each in one flat list: the check's number in the request (1 =
   * the first; the script's states name it), dim, window, limit, perOutput. Counters kept only for
   * reporting are not reserved (settle charges them), so they are not sent.
   */
  readonly checks: ReadonlyArray<string | number>;
  readonly cal: CalendarArg | null;
}

/** A JSON string's content: the text between its quotes. */
const escaped = (text: string): string => JSON.stringify(text).slice(1, -1);

/** A number as JSON.stringify writes it. */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

const counterWires = new Map<string, Map<string, string>>();

const counterWireOf = (dim: string, window: string): string => `${JSON.stringify(dim)},${JSON.stringify(window)}`;

/**
 * A counter's names as the scripts' JSON lists hold them (reserve's `checks`, settle's `direct`
 * and `limited`): `"dim","window"`. A user's made once per dimension and window, a key's
 * (k:<keyId>:<dim>) each time.
 */
function counterWire(c: CounterCheck): string {
  if (c.keyId !== undefined) return counterWireOf(scopedDimension(c), c.window);
  let byWindow = counterWires.get(c.dimension);
  if (!byWindow) counterWires.set(c.dimension, (byWindow = new Map()));
  let wire = byWindow.get(c.window);
  if (!wire) byWindow.set(c.window, (wire = counterWireOf(c.dimension, c.window)));
  return wire;
}

/** A reserve's arguments: its head and its plan (ReserveHead, ReservePlan). */
export function reserveArgs(req: ReserveRequest, now: number): [string, string] {
  let fixed = '';
  for (let i = 0; i < req.checks.length; i++) {
    const k = req.checks[i] as CounterCheck;
    if (k.limit !== null) fixed += `,${num(k.fixed)}`;
  }
  const c = req.conversation;
  const conv = c ? JSON.stringify([c.id, c.parentId, c.budgetMicros]) : 'null';
  return [
    `[${JSON.stringify(req.requestId)},${num(now)},${num(req.maxOutput)},${num(req.minOutput)},${num(req.spend.fixed)},${conv}${fixed}]`,
    reservePlan(req),
  ];
}

// The plans last made, with the values each was made of. The requests of one plan (a user's, or
// users' on the same limits) make the same plan again and again: a request whose plan is made of
// the same values gets the same string, so that a batch's `plan === last` (group-commit.ts,
// batchArgs) holds by identity, without the two texts compared (each flattened first: V8 builds
// a template's text as a rope), nor the text made again. The values compared are those the text
// is made of; anything else differing (a check's fixed amount, a calendar object of the same
// offsets) only makes the text again.
let lastReserve: { readonly req: ReservePlanOf; readonly text: string } | null = null;
let lastSettle: { readonly checks: readonly CounterCheck[]; readonly calendar: Calendar | undefined; readonly hist: number; readonly text: string } | null = null;

/** What of a reserve request its plan is made of (kept without the rest of the request). */
interface ReservePlanOf {
  readonly mode: ReserveRequest['mode'];
  readonly parallelLimit: number | null;
  readonly ttlMs: number;
  readonly per: number;
  readonly priced: boolean;
  readonly calendar: Calendar | undefined;
  readonly checks: readonly CounterCheck[];
}

/**
 * Whether two requests' checks make the same plan text: the same counters and limits in the same
 * places, and for `reserve` the same perOutput of each limited check (its `checks`), else the same
 * thresholds list of each (settle's `watch`).
 */
function sameChecks(a: readonly CounterCheck[], b: readonly CounterCheck[], reserve: boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as CounterCheck;
    const y = b[i] as CounterCheck;
    if (x.limit !== y.limit || x.dimension !== y.dimension || x.window !== y.window || x.keyId !== y.keyId) return false;
    if (reserve ? x.limit !== null && x.perOutput !== y.perOutput : x.thresholds !== y.thresholds) return false;
  }
  return true;
}

function reservePlan(req: ReserveRequest): string {
  const last = lastReserve;
  if (last && last.req.mode === req.mode && last.req.parallelLimit === req.parallelLimit && last.req.ttlMs === req.ttlMs
    && last.req.per === req.spend.perOutput && last.req.priced === req.spend.priced
    && last.req.calendar === req.calendar && sameChecks(last.req.checks, req.checks, true)) return last.text;
  let checks = '';
  for (let i = 0; i < req.checks.length; i++) {
    const k = req.checks[i] as CounterCheck;
    if (k.limit === null) continue;
    checks += `${checks === '' ? '' : ','}${i + 1},${counterWire(k)},${num(k.limit)},${num(k.perOutput)}`;
  }
  const cal = calendarArg(req.calendar);
  const text = `{"mode":${JSON.stringify(req.mode)},"parallel":${req.parallelLimit === null ? 'null' : num(req.parallelLimit)},"ttl":${num(req.ttlMs)},`
    + `"per":${num(req.spend.perOutput)},"priced":${req.spend.priced},"checks":[${checks}],"cal":${cal === null ? 'null' : JSON.stringify(cal)}}`;
  lastReserve = {
    req: { mode: req.mode, parallelLimit: req.parallelLimit, ttlMs: req.ttlMs, per: req.spend.perOutput, priced: req.spend.priced, calendar: req.calendar, checks: req.checks },
    text,
  };
  return text;
}

/**
 * A settle's head: [rid, now, root ('' = none), the number of ledger arguments, then what was
 * used of each dimension in DIMENSIONS' order, then what the day's rollup takes of the ledger
 * record: its model ('' = none), prompt, completion, cached and reasoning tokens].
 */
export type SettleHead = [string, number, string, number, ...Array<number | string>];

export interface SettlePlan {
  /**
   * The counters kept only for reporting, [dim, window, dim, window, ...]: the script adds what was
   * used of their dimension (most of them with HINCRBY, without reading their hash).
   */
  readonly direct: readonly string[];
  /**
   * The limited counters, [dim, window, ...]: charged in the current period only when the
   * reservation is gone (reclaimed by a sweep).
   */
  readonly limited: readonly string[];
  /**
   * The limited counters with thresholds as `dim window limit first label|point,...`, `;`-separated
   * ('' for none): the first point, then every threshold (parsed only once the counter reaches the
   * first point). Dims, windows and labels hold no space, `;`, `|` nor `,`.
   */
  readonly watch: string;
  readonly cal: CalendarArg | null;
  /** How long past its day a per-day rollup is kept, ms. */
  readonly hist: number;
}

/**
 * A limited counter's entry of `watch` as it is written in a settle's JSON: `dim window limit
 * first label|point,...` (the first point, then every threshold). Made once per thresholds list
 * (the planner keeps its lists), for the counter it was made for.
 */
const watchWire = new WeakMap<readonly Threshold[], { readonly dim: string; readonly window: string; readonly limit: number; readonly wire: string }>();

function watchArg(c: CounterCheck, list: readonly Threshold[], limit: number): string {
  const dim = scopedDimension(c);
  const known = watchWire.get(list);
  if (known && known.dim === dim && known.window === c.window && known.limit === limit) return known.wire;
  let first = Infinity;
  for (const t of list) first = Math.min(first, t.point);
  const wire = escaped(`${dim} ${c.window} ${limit} ${first} ${list.map((t) => `${t.label}|${t.point}`).join(',')}`);
  watchWire.set(list, { dim, window: c.window, limit, wire });
  return wire;
}

/** A settle's arguments: its head, its plan (SettleHead, SettlePlan), then its ledger record's fields and values. */
export function settleArgs(req: SettleRequest, now: number, ledger: readonly string[], hist: number): string[] {
  let head = `[${JSON.stringify(req.requestId)},${num(now)},${JSON.stringify(req.conversationRoot ?? '')},${ledger.length}`;
  for (const d of DIMENSIONS) head += `,${num(req.actual[d] ?? 0)}`;
  const r = req.record;
  head += `,${JSON.stringify(wellFormed(r.model ?? ''))},${num(r.promptTokens)},${num(r.completionTokens)},${num(r.cachedTokens)},${num(r.reasoningTokens)}`;
  return [`${head}]`, settlePlan(req, hist), ...ledger];
}

function settlePlan(req: SettleRequest, hist: number): string {
  const last = lastSettle;
  if (last && last.hist === hist && last.calendar === req.calendar && sameChecks(last.checks, req.checks, false)) return last.text;
  let direct = '';
  let limited = '';
  let watch = '';
  for (const c of req.checks) {
    if (c.limit !== null && c.thresholds && c.thresholds.length > 0) watch += `${watch === '' ? '' : ';'}${watchArg(c, c.thresholds, c.limit)}`;
    const entry = counterWire(c);
    if (c.limit === null) direct += direct === '' ? entry : `,${entry}`;
    else limited += limited === '' ? entry : `,${entry}`;
  }
  const cal = calendarArg(req.calendar);
  const text = `{"direct":[${direct}],"limited":[${limited}],"watch":"${watch}","cal":${cal === null ? 'null' : JSON.stringify(cal)},"hist":${num(hist)}}`;
  lastSettle = { checks: req.checks, calendar: req.calendar, hist, text };
  return text;
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

/** Values a state takes in reserve's and peek's replies: tag, limit, used, reserved, resetsAt. */
export const STATE_VALUES = 5;

/** Decodes the state records (STATE_VALUES each) that follow `skip` header values. */
export function decodeStates(reply: Reply, skip: number, checks: readonly CounterCheck[]): LimitState[] {
  const states: LimitState[] = [];
  for (let i = skip; i + STATE_VALUES <= reply.length; i += STATE_VALUES) {
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
