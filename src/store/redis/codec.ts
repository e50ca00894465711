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

/** A JSON string's content: the text between its quotes. */
const escaped = (text: string): string => JSON.stringify(text).slice(1, -1);

/** A number as JSON.stringify writes it. */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/** How a counter is named in the scripts' JSON: in reserve's `checks` (`"dim","window"`) and in settle's lists (`dim|window|`, escaped). */
interface CounterWire {
  readonly check: string;
  readonly amount: string;
}

const counterWires = new Map<string, Map<string, CounterWire>>();

const counterWireOf = (dim: string, window: string): CounterWire => ({ check: `${JSON.stringify(dim)},${JSON.stringify(window)}`, amount: escaped(`${dim}|${window}|`) });

/** A counter's names in the scripts' JSON: a user's made once per dimension and window, a key's (k:<keyId>:<dim>) each time. */
function counterWire(c: CounterCheck): CounterWire {
  if (c.keyId !== undefined) return counterWireOf(scopedDimension(c), c.window);
  let byWindow = counterWires.get(c.dimension);
  if (!byWindow) counterWires.set(c.dimension, (byWindow = new Map()));
  let wire = byWindow.get(c.window);
  if (!wire) byWindow.set(c.window, (wire = counterWireOf(c.dimension, c.window)));
  return wire;
}

/**
 * ReserveArgs as JSON, written directly: the same text JSON.stringify makes of it, field for field
 * (test/store/redis-codec.test.ts compares the two), with the counters' names made once.
 */
export function reserveArgs(req: ReserveRequest, now: number): string {
  let checks = '';
  for (let i = 0; i < req.checks.length; i++) {
    const k = req.checks[i] as CounterCheck;
    if (k.limit === null) continue;
    checks += `${checks === '' ? '' : ','}${i + 1},${counterWire(k).check},${num(k.limit)},${num(k.fixed)},${num(k.perOutput)}`;
  }
  const c = req.conversation;
  const conv: ReserveArgs['conv'] = c ? { id: c.id, parent: c.parentId, budget: c.budgetMicros } : null;
  const cal = calendarArg(req.calendar);
  return `{"now":${num(now)},"rid":${JSON.stringify(req.requestId)},"mode":${JSON.stringify(req.mode)},"out":${num(req.maxOutput)},"minOut":${num(req.minOutput)},`
    + `"parallel":${req.parallelLimit === null ? 'null' : num(req.parallelLimit)},"ttl":${num(req.ttlMs)},"conv":${conv === null ? 'null' : JSON.stringify(conv)},`
    + `"spend":{"fixed":${num(req.spend.fixed)},"per":${num(req.spend.perOutput)},"priced":${req.spend.priced}},"checks":[${checks}],"cal":${cal === null ? 'null' : JSON.stringify(cal)}}`;
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

/**
 * SettleArgs as JSON, written directly like reserveArgs. Counters whose amount is 0 change nothing
 * and are not sent (nor decoded: each value costs the script).
 */
export function settleArgs(req: SettleRequest, now: number, ledger: readonly string[], hist: number): string {
  let direct = '';
  let limited = '';
  let watch = '';
  for (const c of req.checks) {
    if (c.limit !== null && c.thresholds && c.thresholds.length > 0) watch += `${watch === '' ? '' : ';'}${watchArg(c, c.thresholds, c.limit)}`;
    const amount = req.actual[c.dimension] ?? 0;
    if (amount === 0) continue;
    const entry = `${counterWire(c).amount}${amount}`;
    if (c.limit === null) direct += direct === '' ? entry : `,${entry}`;
    else limited += limited === '' ? entry : `,${entry}`;
  }
  const cal = calendarArg(req.calendar);
  return `{"now":${num(now)},"rid":${JSON.stringify(req.requestId)},"root":${JSON.stringify(req.conversationRoot ?? '')},"actual":${JSON.stringify(req.actual)},`
    + `"direct":"${direct}","limited":"${limited}","watch":"${watch}","ledger":${JSON.stringify(ledger)},"cal":${cal === null ? 'null' : JSON.stringify(cal)},"hist":${num(hist)}}`;
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
