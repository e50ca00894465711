// The embedded store: one process. The same semantics as the Lua scripts, written once more in
// TypeScript; test/store/contract.ts holds both to one suite, and test/store/differential.test.ts
// runs long random sequences against both and requires identical answers, states and ledgers.
// Every operation runs to its end without an await, reading the clock once: durable/ logs each
// mutating call with that time and replays it to the same state (keep it so).
import { periodOf, retentionMs } from '../limits/windows.js';
import { GRANT_DIMENSIONS, type Dimension, type GrantDimension, type Window } from '../limits/vocabulary.js';
import { drawGrants, grantBalance, grantStates } from './grants.js';
import { crosses } from '../limits/thresholds.js';
import { systemClock, type Clock } from '../core/clock.js';
import { ReservationIdTaken } from './errors.js';
import { counterKey, scopedDimension, userPrefix } from './keys.js';
import { createMemoryAccounts } from './memory-accounts.js';
import { createMemoryOutbox } from './memory-outbox.js';
import { EMPTY, emptyMemoryState, emptyUserState, type Counter, type Held, type MemoryState, type Tree, type UserState } from './memory-state.js';
import { createUsageBook } from './memory-usage.js';
import { HISTORY_DAYS, rollupOf } from './rollup.js';
import type { GrantState, LimitState, OnReclaim, PeekRequest, ReserveRequest, ReserveResult, SettleRequest, SettleResult, Store } from './types.js';

export { emptyMemoryState, type MemoryState, type UserState } from './memory-state.js';

const DONE_TTL = 86_400_000;
const DONE_MAX = 50_000;
// The embedded store keeps the newest ids per user in memory only: bounded, so a busy
// single-instance gateway does not grow without end. Ledgers keep LEDGER_MAX records (ledger-log.ts).

export interface MemoryStore extends Store {
  /** The state this store works on (durable/ snapshots it). */
  readonly state: MemoryState;
  /** Gives back expired reservations and forgets expired counters and ids (every minute unless `sweepEveryMs` is null). */
  sweepAll(): void;
  /** Gives back every reservation at once: after a restart, nothing from the previous run can settle one. */
  releaseAll(): void;
}

export interface MemoryStoreOptions {
  clock?: Clock;
  /** Told of the reservations a sweep released because they expired unsettled. */
  onReclaim?: OnReclaim;
  state?: MemoryState;
  sweepEveryMs?: number | null;
  /** Days of per-day history kept (default 400). */
  historyDays?: number;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const clock = options.clock ?? systemClock;
  const state = options.state ?? emptyMemoryState();
  const { users } = state;
  const book = createUsageBook(state.usage, options.historyDays ?? HISTORY_DAYS);
  const outbox = createMemoryOutbox(() => clock.now(), state.outbox);
  const accounts = createMemoryAccounts(state, clock);

  /** Records the thresholds of `check` that a charge of counter `key` from `before` to `c.used` crosses. */
  function thresholdEvents(userId: string, c: Counter, key: string, check: SettleRequest['checks'][number] | undefined, before: number, now: number): void {
    if (!check?.thresholds || check.limit === null) return;
    for (const t of check.thresholds) {
      if (!crosses(before, c.used, t.point)) continue;
      outbox.record((c.marks ??= []), `ev:${t.label}`, { type: 'threshold', time: now, user: userId, dimension: check.dimension, window: check.window,
        scope: 'user', limit: check.limit, used: c.used, threshold: t.label, periodStart: periodStartOf(key), conversation: null });
    }
  }

  /** Charges a tree's root and records it reaching its budget. */
  function chargeTree(userId: string, t: Tree, amount: number, now: number): void {
    t.used += amount;
    if (t.limit !== null && amount > 0 && crosses(t.used - amount, t.used, t.limit)) {
      outbox.record((t.marks ??= []), 'ev:budget', { type: 'conversation_budget', time: now, user: userId, dimension: 'spend_micros', window: 'lifetime',
        scope: 'conversation', limit: t.limit, used: t.used, threshold: '1', periodStart: null, conversation: t.root });
    }
  }

  const stateOf = (userId: string): UserState => {
    let s = users.get(userId);
    if (!s) {
      s = emptyUserState();
      users.set(userId, s);
    }
    // A snapshot written before grants existed has none.
    s.grants ??= new Map();
    s.grantResv ??= {};
    return s;
  };
  const counter = (s: UserState, key: string, now: number): Counter => {
    let c = s.counters.get(key);
    if (c && c.expiresAt !== null && c.expiresAt <= now) c = undefined;
    if (!c) {
      c = { used: 0, resv: 0, expiresAt: null };
      s.counters.set(key, c);
    }
    return c;
  };
  const tree = (s: UserState, id: string): Tree | undefined => s.trees.get(id);

  function release(s: UserState, requestId: string): void {
    const h = s.held.get(requestId);
    if (!h) return;
    for (const c of h.counters) {
      const cur = s.counters.get(c.key);
      if (cur) cur.resv -= c.amount;
    }
    if (h.root) {
      const t = tree(s, h.root);
      if (t) t.resv -= h.convAmount;
    }
    for (const g of h.grants ?? []) s.grantResv[g.dim] = (s.grantResv[g.dim] ?? 0) - g.need;
    s.held.delete(requestId);
    s.inflight.delete(requestId);
  }

  /** Reclaims expired reservations and slots: a scan of what is in flight, never of history. */
  function sweep(userId: string, s: UserState, now: number): void {
    let reclaimed: string[] | null = null;
    for (const [id, h] of s.held) {
      if (h.expiresAt > now) continue;
      release(s, id);
      (reclaimed ??= []).push(id);
    }
    for (const [id, exp] of s.inflight) if (exp <= now) s.inflight.delete(id);
    if (reclaimed) options.onReclaim?.(userId, reclaimed);
  }

  async function reserve(req: ReserveRequest): Promise<ReserveResult> {
    const now = clock.now();
    const s = stateOf(req.userId);
    if (s.held.has(req.requestId) || s.inflight.has(req.requestId) || (s.done.get(req.requestId) ?? 0) > now) {
      throw new ReservationIdTaken(req.requestId);
    }
    sweep(req.userId, s, now);
    const hard = req.mode === 'hard';
    let out = req.maxOutput;
    const minOut = Math.min(req.minOutput, out);
    const states: LimitState[] = [];
    const amount = (fixed: number, per: number, o: number) => fixed + Math.ceil(per * o);
    const fit = (limit: number, used: number, resv: number, fixed: number, per: number): boolean => fitRoom(limit - used - resv, fixed, per);
    const fitRoom = (room: number, fixed: number, per: number): boolean => {
      if (amount(fixed, per, out) <= 0) return true;
      if (!hard) return room > 0;
      if (per > 0) {
        out = Math.min(out, Math.floor((room - fixed) / per));
        return out >= minOut && out >= 0;
      }
      return fixed <= room;
    };
    let denied: LimitState | null = null;
    let unpriced = false;
    let refused: { check: ReserveRequest['checks'][number]; key: string; end: number | null } | null = null;

    // 1. The conversation tree, before the account-period checks.
    let root: string | null = null;
    let fresh = false;
    let treeLimit: number | null = null;
    let convIndex = -1;
    if (req.conversation) {
      const { id, parentId, budgetMicros } = req.conversation;
      root = tree(s, id)?.root ?? (parentId ? (tree(s, parentId)?.root ?? parentId) : id);
      const t = tree(s, root);
      fresh = !t;
      treeLimit = t ? t.limit : root === id ? budgetMicros : null;
      if (treeLimit !== null) {
        const used = t?.used ?? 0;
        const resv = t?.resv ?? 0;
        convIndex = states.push({ dimension: 'spend_micros', window: 'lifetime', scope: 'conversation', limit: treeLimit, used, reserved: resv, resetsAt: null }) - 1;
        if (!req.spend.priced || !fit(treeLimit, used, resv, req.spend.fixed, req.spend.perOutput)) {
          denied = states[convIndex] ?? null;
          unpriced = !req.spend.priced;
        }
      }
    }

    // 2. Requests in flight.
    let parallelIndex = -1;
    if (!denied && req.parallelLimit !== null) {
      const busy = s.inflight.size;
      parallelIndex = states.push({ dimension: 'parallel', window: 'instant', scope: 'user', limit: req.parallelLimit, used: busy, reserved: 0, resetsAt: null }) - 1;
      if (busy >= req.parallelLimit) denied = states[parallelIndex] ?? null;
    }

    // 3. Every limited counter (counters kept only for reporting are charged at settle).
    const plan: Array<{ key: string; dimension: Dimension; fixed: number; per: number; end: number | null; window: Window; index: number;
      limit: number; room: number; grantable: boolean }> = [];
    // Grants are read only when an allowance falls short (the common request never looks).
    const balances: Record<string, number> = {};
    const balance = (dim: string) => (balances[dim] ??= grantBalance(s.grants, dim, s.grantResv[dim] ?? 0, now));
    if (!denied) {
      for (const check of req.checks) {
        if (check.limit === null) continue;
        const p = periodOf(check.window, now, req.calendar);
        const key = counterKey(req.userId, scopedDimension(check), check.window, p.start);
        const c = s.counters.get(key);
        const live = c && (c.expiresAt === null || c.expiresAt > now) ? c : undefined;
        const used = live?.used ?? 0;
        const resv = live?.resv ?? 0;
        const index = states.push({ dimension: check.dimension, window: check.window, scope: check.keyId === undefined ? 'user' : 'key', limit: check.limit, used, reserved: resv, resetsAt: p.end }) - 1;
        const room = check.limit - used - resv;
        const grantable = check.keyId === undefined && isGrantDimension(check.dimension);
        let roomWith = room;
        if (grantable && amount(check.fixed, check.perOutput, out) > room) {
          // The counter's own reservations already hold whatever requests in flight may take from
          // the grants, and what it used past its limit has been drawn from them: the room is the
          // allowance left, less every reservation, plus what the grants have not spent.
          const g = grantBalance(s.grants, check.dimension, 0, now);
          if (g > 0) roomWith = Math.max(check.limit - used, 0) - resv + g;
        }
        if (!denied && !fitRoom(roomWith, check.fixed, check.perOutput)) {
          denied = states[index] ?? null;
          // Events are for the user's own limits (a key's limits record none).
          if (check.keyId === undefined) refused = { check, key, end: p.end };
        }
        plan.push({ key, dimension: check.dimension, fixed: check.fixed, per: check.perOutput, end: p.end, window: check.window, index, limit: check.limit, room, grantable });
      }
    }
    if (denied) {
      // The first refusal of a period (or of an existing tree) is an event; a refusal by concurrency is not.
      const t = denied.scope === 'conversation' && root ? tree(s, root) : undefined;
      if (refused) {
        const c = counter(s, refused.key, now);
        if (refused.end !== null) c.expiresAt = refused.end + retentionMs(refused.check.window);
        outbox.record((c.marks ??= []), 'ev:refused', { type: 'refused', time: now, user: req.userId, dimension: denied.dimension, window: denied.window,
          scope: 'user', limit: denied.limit, used: denied.used, threshold: null, periodStart: periodStartOf(refused.key), conversation: null });
      } else if (t) {
        outbox.record((t.marks ??= []), 'ev:refused', { type: 'refused', time: now, user: req.userId, dimension: 'spend_micros', window: 'lifetime',
          scope: 'conversation', limit: denied.limit, used: denied.used, threshold: null, periodStart: null, conversation: t.root });
      }
      return unpriced ? { ok: false, denied, states, unpriced } : { ok: false, denied, states };
    }

    // 4. Reserve.
    const expiresAt = now + req.ttlMs;
    const held: Held = { counters: [], root: null, convAmount: 0, expiresAt, grants: [] };
    for (const p of plan) {
      const amt = amount(p.fixed, p.per, out);
      if (p.grantable) {
        // What this request takes beyond the allowance, on the tightest of the dimension's windows.
        const over = amt - Math.max(p.room, 0);
        let g = held.grants.find((x) => x.dim === p.dimension);
        if (!g) held.grants.push(g = { dim: p.dimension as GrantDimension, need: 0 });
        if (over > g.need) g.need = over;
      }
      const c = counter(s, p.key, now);
      c.resv += amt;
      if (p.end !== null) c.expiresAt = p.end + retentionMs(p.window);
      held.counters.push(p.grantable ? { key: p.key, dimension: p.dimension, amount: amt, limit: p.limit } : { key: p.key, dimension: p.dimension, amount: amt });
      if (p.index >= 0) bump(states, p.index, 0, amt);
    }
    held.grants = held.grants.filter((g) => {
      g.need = Math.min(g.need, balance(g.dim));
      s.grantResv[g.dim] = (s.grantResv[g.dim] ?? 0) + g.need;
      return g.need > 0;
    });
    if (req.conversation && root) {
      const amt = amount(req.spend.fixed, req.spend.perOutput, out);
      if (fresh) s.trees.set(root, { root, limit: root === req.conversation.id ? req.conversation.budgetMicros : null, used: 0, resv: 0 });
      const own = s.trees.get(req.conversation.id);
      if (!own) s.trees.set(req.conversation.id, { root, limit: null, used: 0, resv: 0 });
      const t = s.trees.get(root);
      if (t) t.resv += amt;
      held.root = root;
      held.convAmount = amt;
      if (convIndex >= 0) bump(states, convIndex, 0, amt);
    }
    // Every reservation is in flight, limited or not: a later request with a parallel limit counts it.
    s.inflight.set(req.requestId, expiresAt);
    if (parallelIndex >= 0) bump(states, parallelIndex, 1, 0);
    s.held.set(req.requestId, held);
    return { ok: true, output: out, states, conversationRoot: root };
  }

  async function settle(req: SettleRequest): Promise<SettleResult> {
    const now = clock.now();
    const s = stateOf(req.userId);
    if ((s.done.get(req.requestId) ?? 0) > now) return { applied: false };
    const h = s.held.get(req.requestId);
    const charge = (check: SettleRequest['checks'][number]) => {
      const p = periodOf(check.window, now, req.calendar);
      const key = counterKey(req.userId, scopedDimension(check), check.window, p.start);
      const c = counter(s, key, now);
      const amt = req.actual[check.dimension] ?? 0;
      c.used += amt;
      if (p.end !== null) c.expiresAt = p.end + retentionMs(check.window);
      if (amt !== 0) thresholdEvents(req.userId, c, key, check, c.used - amt, now);
    };
    let fromGrants: Partial<Record<GrantDimension, number>> | null = null;
    if (h) {
      for (const g of h.grants ?? []) s.grantResv[g.dim] = (s.grantResv[g.dim] ?? 0) - g.need;
      for (const check of req.checks) if (check.limit === null) charge(check);
      // What the usage went past a limit of a grant dimension (the most over any of its windows) is
      // taken from the user's grants, as far as they hold (reserve admitted no more than they had left).
      const over: Record<string, number> = {};
      for (const c of h.counters) {
        const cur = counter(s, c.key, now);
        const amt = req.actual[c.dimension] ?? 0;
        cur.resv -= c.amount;
        cur.used += amt;
        if (c.limit !== undefined && amt !== 0) {
          const o = Math.max(0, cur.used - c.limit) - Math.max(0, cur.used - amt - c.limit);
          if (o > (over[c.dimension] ?? -1)) over[c.dimension] = o;
        }
        // The check with thresholds whose counter this is (`<prefix><dim>:<window>:<start>`: the user's own, never a key's).
        const watched = amt === 0 ? undefined : req.checks.find((k) => k.thresholds && k.keyId === undefined && c.key.startsWith(`${userPrefix(req.userId)}${k.dimension}:${k.window}:`));
        if (watched) thresholdEvents(req.userId, cur, c.key, watched, cur.used - amt, now);
      }
      for (const d of GRANT_DIMENSIONS) {
        if (over[d] === undefined) continue;
        const took = drawGrants(s.grants, d, Math.min(over[d], grantBalance(s.grants, d, 0, now)), now);
        if (took > 0) (fromGrants ??= {})[d] = took;
      }
      const t = h.root ? tree(s, h.root) : undefined;
      if (t) {
        t.resv -= h.convAmount;
        chargeTree(req.userId, t, req.actual.spend_micros, now);
      }
      s.held.delete(req.requestId);
    } else {
      for (const check of req.checks) charge(check);
      const root = req.conversationRoot ? (tree(s, req.conversationRoot)?.root ?? req.conversationRoot) : null;
      const t = root ? tree(s, root) : undefined;
      if (t) chargeTree(req.userId, t, req.actual.spend_micros, now);
    }
    s.inflight.delete(req.requestId);
    s.done.set(req.requestId, now + DONE_TTL);
    // Bounded memory: past the cap the oldest ids are forgotten first (a Map keeps insertion order).
    if (s.done.size > DONE_MAX) s.done.delete(s.done.keys().next().value as string);
    s.ledger.append(fromGrants ? { ...req.record, fromGrants: ordered(fromGrants) } : req.record, now);
    book.settled(req.userId, now, rollupOf(req.actual, req.record), req.record.model, req.actual);
    return { applied: true };
  }

  async function peek(q: PeekRequest): Promise<LimitState[]> {
    // Read-only, like the Redis script: a reservation past its expiry is given back by the next
    // reserve (or the minute's sweep), and until then it still shows as reserved.
    const now = clock.now();
    const s = users.get(q.userId) ?? EMPTY;
    const states: LimitState[] = [];
    const root = q.conversationId ? tree(s, q.conversationId)?.root : undefined;
    const t = root ? tree(s, root) : undefined;
    if (t) states.push({ dimension: 'spend_micros', window: 'lifetime', scope: 'conversation', limit: t.limit ?? -1, used: t.used, reserved: t.resv, resetsAt: null });
    if (q.parallelLimit !== null) states.push({ dimension: 'parallel', window: 'instant', scope: 'user', limit: q.parallelLimit, used: inFlight(s, now), reserved: 0, resetsAt: null });
    for (const check of q.checks) {
      const p = periodOf(check.window, now, q.calendar);
      const c = s.counters.get(counterKey(q.userId, scopedDimension(check), check.window, p.start));
      const live = c && (c.expiresAt === null || c.expiresAt > now) ? c : undefined;
      states.push({ dimension: check.dimension, window: check.window, scope: check.keyId === undefined ? 'user' : 'key', limit: check.limit ?? -1, used: live?.used ?? 0, reserved: live?.resv ?? 0, resetsAt: p.end });
    }
    return states;
  }

  const epochId = `${clock.now()}-memory`;
  let epochSeen = false;

  function sweepAll(): void {
    const now = clock.now();
    for (const [userId, s] of users) {
      sweep(userId, s, now);
      for (const [id, exp] of s.done) if (exp <= now) s.done.delete(id);
      for (const [k, c] of s.counters) if (c.expiresAt !== null && c.expiresAt <= now) s.counters.delete(k);
    }
    book.prune(now);
  }
  const every = options.sweepEveryMs === undefined ? 60_000 : options.sweepEveryMs;
  const timer = every === null ? null : setInterval(sweepAll, every);
  timer?.unref();

  return {
    kind: 'memory',
    reserve,
    settle,
    peek,
    ledger: async (userId, limit) => (users.get(userId) ?? EMPTY).ledger.newest(limit),
    ledgerPage: async (q) => (users.get(q.userId) ?? EMPTY).ledger.page(q),
    outbox,
    history: async (q) => book.history(q),
    usageRanking: async (q) => book.ranking(q),
    ...accounts,
    resetCounters: async (userId, checks, record, calendar) => {
      const now = clock.now();
      const s = stateOf(userId);
      for (const check of checks) {
        const c = s.counters.get(counterKey(userId, scopedDimension(check), check.window, periodOf(check.window, now, calendar).start));
        if (c) c.used = 0;
      }
      s.ledger.append(record, now);
      book.reset(userId, now, checks);
    },
    addGrant: async (userId, grant, record) => {
      const s = stateOf(userId);
      const had = s.grants.has(grant.id);
      if (!had) {
        s.grants.set(grant.id, { d: grant.dimension, n: grant.amount, u: 0, x: grant.expiresAt, t: record.time });
        s.ledger.append(record, clock.now());
      }
      const state = grantStates(s.grants, s.grantResv, clock.now()).find((g) => g.id === grant.id) as GrantState;
      return { created: !had, grant: state };
    },
    listGrants: async (userId) => {
      const s = users.get(userId);
      return s?.grants ? grantStates(s.grants, s.grantResv, clock.now()) : [];
    },
    ping: async () => undefined,
    // Nothing here outlives the process: the first look finds the store new.
    epoch: async () => {
      const created = !epochSeen;
      epochSeen = true;
      return { id: epochId, created };
    },
    close: async () => {
      if (timer) clearInterval(timer);
    },
    state,
    sweepAll,
    releaseAll: () => {
      for (const s of users.values()) {
        for (const id of [...s.held.keys()]) release(s, id);
        s.inflight.clear();
      }
    },
  };
}


const isGrantDimension = (d: string): d is GrantDimension => (GRANT_DIMENSIONS as readonly string[]).includes(d);

/** Grant draws in the registry's order, as the Redis script writes them. */
function ordered(drawn: Partial<Record<GrantDimension, number>>): Partial<Record<GrantDimension, number>> {
  const out: Partial<Record<GrantDimension, number>> = {};
  for (const d of GRANT_DIMENSIONS) if (drawn[d] !== undefined) out[d] = drawn[d];
  return out;
}

/** Requests in flight: reservations not yet expired (an expired one no longer holds a slot). */
function inFlight(s: UserState, now: number): number {
  let n = 0;
  for (const exp of s.inflight.values()) if (exp > now) n++;
  return n;
}

/** A counter key's period start in ms (keys hold it in seconds, last). */
function periodStartOf(key: string): number {
  return Number(key.slice(key.lastIndexOf(':') + 1)) * 1000;
}

function bump(states: LimitState[], index: number, used: number, reserved: number): void {
  const st = states[index];
  if (st) states[index] = { ...st, used: st.used + used, reserved: st.reserved + reserved };
}
