// Group commit (store/redis/group-commit.ts): the reserves and settles of a few event-loop turns go
// to Redis in one script call, a batch's call goes out without waiting for the replies to the calls
// before it, and each request is decided exactly as its own call would decide it. Against a
// redis-server of this file's own (CLIENT PAUSE and command counts would disturb a shared one).
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_OPTIONS, redisOptionsFor } from '../../src/store/create-store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { batchArgs } from '../../src/store/redis/group-commit.js';
import { batchReplies, SCRIPT_CALLS } from '../../src/store/redis/scripts.js';
import type { Amounts, CounterCheck, LedgerRecord, ReserveRequest, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { startRedisServer } from '../support/global-redis.js';
import { uniqueId } from '../support/redis-client.js';
import { check, plainReservation } from './contract.js';

const checks = [check('requests', 'day', 1000, 1)];
const reserve = (store: Store, requestId: string) => store.reserve(plainReservation({ userId: 'batching', requestId, checks }));

/** Counts the writes Node makes on the client's socket (each is one write or writev syscall). */
function countWrites(socket: Socket): { readonly count: number } {
  const counter = { count: 0 };
  const s = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const original = s[name];
    s[name] = function (this: unknown, ...args: unknown[]) {
      counter.count++;
      return original.apply(this, args);
    };
  }
  return counter;
}

/** Script calls Redis has run so far (FCALL, EVALSHA and EVAL, from INFO commandstats). */
async function scriptCalls(admin: Redis): Promise<number> {
  let n = 0;
  for (const command of SCRIPT_CALLS) n += await callsOf(admin, command);
  return n;
}

/** How many times Redis has run a command (`function|load` for FUNCTION LOAD), from INFO commandstats; `failed`: those that answered an error. */
async function callsOf(admin: Redis, command: string, count: 'calls' | 'failed_calls' = 'calls'): Promise<number> {
  const m = new RegExp(`^cmdstat_${command.replace('|', '\\|')}:.*\\b${count}=(\\d+)`, 'm').exec(await admin.info('commandstats'));
  return Number(m?.[1] ?? 0);
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

// The random sequences: three users, small limits (so refusals, narrowed ceilings and parallel
// refusals happen), conversation trees with budgets, settles of what earlier turns reserved, and
// reused ids (a reserve under an id already reserved or settled is refused with an error).
const PALETTE: ReadonlyArray<CounterCheck> = [
  check('requests', 'minute', 3, 1), check('requests', 'day', 6, 1), check('tokens', 'day', 900, 40, 1),
  check('spend_micros', 'day', 2000, 30, 1.5), check('messages', 'month', null, 1), check('tokens', 'month', null, 40, 1),
  // The month's messages limited for some requests and kept only for reporting for others (a plan
  // changed): a counter one request of a batch reads, another adds to without reading (settle.lua).
  check('messages', 'month', 5, 1),
];
/** A request's checks: at most one counter per dimension and window (the planner's rule). */
const checksOf = (picks: readonly number[]): CounterCheck[] =>
  picks.filter((i) => !(i === 6 && picks.includes(4))).map((i) => PALETTE[i] as CounterCheck);
const USERS = 3;
/** The instant the random sequences run at (a manual clock: every request of a run is decided then). */
const T = Date.UTC(2026, 10, 23, 12);

type Op =
  | { t: 'reserve'; user: number; picks: number[]; maxOutput: number; parallel: number | null; conv: number | null; soft: boolean; reuse: boolean }
  | { t: 'settle'; pick: number; tokens: number; spend: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({
    t: fc.constant('reserve' as const), user: fc.integer({ min: 0, max: USERS - 1 }),
    picks: fc.uniqueArray(fc.integer({ min: 0, max: PALETTE.length - 1 }), { minLength: 1, maxLength: 4 }),
    maxOutput: fc.integer({ min: 0, max: 400 }), parallel: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
    conv: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }), soft: fc.boolean(), reuse: fc.boolean(),
  }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('settle' as const), pick: fc.nat(), tokens: fc.integer({ min: 0, max: 500 }), spend: fc.integer({ min: 0, max: 900 }) }) },
);

interface Held { user: number; id: string; checks: readonly CounterCheck[]; root: string | null }

/**
 * A user's window hashes as Redis holds them: each hash's fields and whether it expires. Fields
 * are sorted (a batch may add a field in another order than the calls one by one would, which
 * nothing reads) and those at 0 left out (a batch may write a counter of a window at 0 where a
 * call of its own would leave it absent: the requests of a batch share what they read of a window,
 * and a read counts an absent counter as 0).
 */
async function windowHashes(raw: Redis, userId: string): Promise<Array<[string, Record<string, string>, boolean]>> {
  const prefix = `tg:{u:${userId}}:`;
  const keys = (await raw.keys(`${prefix}w:*`)).sort();
  return Promise.all(keys.map(async (key) => {
    const fields = await raw.hgetall(key);
    const sorted = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== '0').sort(([a], [b]) => (a < b ? -1 : 1)));
    return [key.slice(prefix.length), sorted, (await raw.pttl(key)) > 0] as [string, Record<string, string>, boolean];
  }));
}

/**
 * Runs turns of operations against `store`: `together` issues each turn's calls in one turn (one
 * batch), otherwise each call waits for the one before. Returns every answer (errors by name and
 * message) and the end state, with the users' ids replaced by their number: what the store's reads
 * answer, and what Redis holds in the users' window hashes (read with `raw`).
 */
async function play(store: Store, raw: Redis, users: readonly string[], turns: readonly Op[][], together: boolean): Promise<string> {
  const answers: unknown[] = [];
  const held: Held[] = [];
  const ids: string[] = [];
  let n = 0;
  for (const turn of turns) {
    const calls: Array<() => Promise<unknown>> = [];
    const live = [...held];
    for (const o of turn) {
      if (o.t === 'reserve') {
        const id = o.reuse && ids.length > 0 ? (ids[n % ids.length] as string) : `r${n}`;
        n++;
        const req: ReserveRequest = plainReservation({
          userId: users[o.user] as string, requestId: id, checks: checksOf(o.picks), maxOutput: o.maxOutput,
          mode: o.soft ? 'soft' : 'hard', parallelLimit: o.parallel, spend: { fixed: 30, perOutput: 1.5, priced: true },
          conversation: o.conv === null ? null : { id: `c${o.conv}`, parentId: null, budgetMicros: 3000 },
        });
        if (!ids.includes(id)) ids.push(id);
        calls.push(async () => {
          const r = await store.reserve(req);
          if (r.ok) held.push({ user: o.user, id, checks: req.checks, root: r.conversationRoot });
          return r;
        });
      } else {
        const h = live.splice(o.pick % Math.max(live.length, 1), 1)[0];
        if (!h) continue;
        const actual: Amounts = { requests: 1, messages: 1, tokens: o.tokens, credits: 0, spend_micros: o.spend };
        // Two models: a day's rollup is kept per model (common.lua keeps each one's figures for the rest of the call).
        const record: LedgerRecord = { requestId: h.id, time: 0, user: users[h.user] as string, model: `m${o.tokens % 2}`, conversation: h.root, promptTokens: o.tokens,
          completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: o.spend, outcome: 'ok', estimated: false, anomaly: null };
        calls.push(() => store.settle({ userId: users[h.user] as string, requestId: h.id, checks: h.checks, actual, conversationRoot: h.root, record }));
      }
    }
    const settled = together
      ? await Promise.allSettled(calls.map((c) => c()))
      : await (async () => {
        const out: Array<PromiseSettledResult<unknown>> = [];
        for (const c of calls) out.push(await c().then((value) => ({ status: 'fulfilled' as const, value }), (reason: unknown) => ({ status: 'rejected' as const, reason })));
        return out;
      })();
    for (const s of settled) answers.push(s.status === 'fulfilled' ? s.value : { error: (s.reason as Error).name, message: (s.reason as Error).message });
  }
  const end: unknown[] = [];
  for (const userId of users) {
    end.push(await store.peek({ userId, checks: [...PALETTE], parallelLimit: 100, conversationId: null }));
    for (const c of [0, 1, 2]) end.push(await store.peek({ userId, checks: [], parallelLimit: null, conversationId: `c${c}` }));
    end.push((await store.ledger(userId, 1000)).map((r) => ({ ...r, user: users.indexOf(r.user) })));
    // The day's rollups, by model.
    end.push((await store.history({ userId, from: T, to: T })).map((d) => d.models));
    end.push(await windowHashes(raw, userId));
  }
  return JSON.stringify({ answers, end });
}

describe('Redis store group commit', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let client: Redis;
  let admin: Redis;
  let store: Store;

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis({ ...redisOptionsFor(server.url), ...CLIENT_OPTIONS });
    admin = new Redis(server.url);
    store = createRedisStore({ client });
    await store.ping();
  });
  afterAll(async () => {
    await store.close();
    await admin.quit();
    server.child.kill('SIGKILL');
  });

  it('carries a plan once for the requests after it of the same kind that send it again', () => {
    const item = (kind: 'r' | 's', user: string, plan: string, ...rest: string[]) => ({ kind, prefix: `p:${user}`, outbox: 'o', args: [`h-${user}`, plan, ...rest] });
    expect(batchArgs([item('r', 'a', 'P1'), item('s', 'a', 'S1', 'f', 'v'), item('r', 'b', 'P1'), item('s', 'b', 'S1', 'f', 'v'), item('r', 'c', 'P2'), item('r', 'a', 'P1')])).toEqual([
      '', '12', 'p:a', 'o', 'p:a', 'o', 'p:b', 'o', 'p:b', 'o', 'p:c', 'o', 'p:a', 'o', 'rsrsrr',
      'h-a', 'P1', 'h-a', 'S1', 'f', 'v', 'h-b', '', 'h-b', '', 'f', 'v', 'h-c', 'P2', 'h-a', 'P1',
    ]);
  });

  it('decides each request of a call by its own plan, whether its plan went in full or as the one before it', async () => {
    const [a, b] = [uniqueId('plan-a'), uniqueId('plan-b')];
    const limits: Record<string, CounterCheck[]> = { [a]: [check('requests', 'day', 2, 1)], [b]: [check('requests', 'day', 1, 1)] };
    const order = [a, a, b, b, a, b, a];
    const results = await Promise.all(order.map((userId, i) => store.reserve(plainReservation({ userId, requestId: `p-${i}`, checks: limits[userId] as CounterCheck[] }))));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, false, false, false]);
    expect(results.map((r) => r.states[0]?.limit)).toEqual(order.map((u) => (u === a ? 2 : 1)));
  });

  it('decides by each request\'s own plan when more plans have passed than the script keeps decoded (256)', async () => {
    // 300 users, each on a token limit of its own (so a plan of its own), in calls of 50; then all
    // again, the first ones' plans decoded before the script began its list again.
    const users = Array.from({ length: 300 }, (_, i) => uniqueId(`plans-${i}`));
    const reserveAll = async (tag: string) => {
      const out = [];
      for (let i = 0; i < users.length; i += 50) {
        out.push(...await Promise.all(users.slice(i, i + 50).map((userId, j) => store.reserve(plainReservation({ userId, requestId: `${tag}-${i + j}`,
          checks: [check('requests', 'day', 1 + ((i + j) % 2), 1), check('tokens', 'day', 1_000_000 + i + j, 1)] })))));
      }
      return out;
    };
    expect((await reserveAll('one')).every((r) => r.ok)).toBe(true);
    // A limit of 2 lets the second request in; a limit of 1 refuses it.
    expect((await reserveAll('two')).map((r) => r.ok)).toEqual(users.map((_, i) => i % 2 === 1));
  });

  it('sends twenty reservations made in one turn as one script call in one write, and each gets its own answer', async () => {
    // (The store's first call loads the script into Redis: the test below counts those calls.)
    await reserve(store, 'first');
    const writes = countWrites(client.stream);
    const before = await scriptCalls(admin);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(store, `one-turn-${i}`)));
    expect(writes.count).toBe(1);
    expect((await scriptCalls(admin)) - before).toBe(1);
    expect(results.every((r) => r.ok)).toBe(true);
    // Decided in the order they were made: the n-th reservation saw the n-1 before it.
    expect(results.map((r) => r.states[0]?.reserved)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  });

  it('gathers the reservations of a turn of the event loop and of the turn after it into one call, and sends a later one in a call of its own', async () => {
    await reserve(store, 'gather-first');
    const before = await scriptCalls(admin);
    const gathered = [reserve(store, 'gather-turn-1')];
    // The reserve is queued a microtask later (after the store's own await), so after this turn's
    // end (the first nextTurn) the second comes in the turn after the one it was queued in.
    await nextTurn();
    await nextTurn();
    gathered.push(reserve(store, 'gather-turn-2'));
    const results = await Promise.all(gathered);
    expect((await scriptCalls(admin)) - before).toBe(1);
    expect(results.map((r) => r.states[0]?.reserved)).toEqual([1, 2].map((n) => (results[0]?.states[0]?.reserved ?? 0) + n - 1));
    // Once the batch has gone, the next request is the first of a batch of its own.
    const [late] = await Promise.all([reserve(store, 'gather-late')]);
    expect(late?.ok).toBe(true);
    expect((await scriptCalls(admin)) - before).toBe(2);
  });

  it('sends what is queued before any other command of its client: a read made after a settle sees it', async () => {
    const userId = uniqueId('read-after');
    const tokens = [check('tokens', 'day', 1000, 10)];
    expect((await store.reserve(plainReservation({ userId, requestId: 'a', checks: tokens }))).ok).toBe(true);
    const record: LedgerRecord = { requestId: 'a', time: 0, user: userId, model: 'm', conversation: null, promptTokens: 150,
      completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false, anomaly: null };
    const settled = store.settle({ userId, requestId: 'a', checks: tokens, actual: { requests: 1, messages: 0, tokens: 150, credits: 0, spend_micros: 0 }, conversationRoot: null, record });
    // Made a turn later, while the settle waits for its batch's last turn: a script of its own
    // (peek) and a plain command (the ledger's XREVRANGE).
    await nextTurn();
    const [state, ledger] = await Promise.all([
      store.peek({ userId, checks: tokens, parallelLimit: null, conversationId: null }), store.ledger(userId, 10)]);
    expect(state).toMatchObject([{ used: 150, reserved: 0 }]);
    expect(ledger.map((r) => r.requestId)).toEqual(['a']);
    await settled;
  });

  it('runs the batch as a Redis Function, loaded again once when Redis has lost it (a restart without persistence, a new master)', async () => {
    expect((await reserve(store, 'as-function')).ok).toBe(true);
    const library = (await admin.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'tollgate_*')) as unknown[];
    expect(library).toHaveLength(1);
    await admin.call('FUNCTION', 'FLUSH');
    const [loads, fcalls, refused, evals] = [await callsOf(admin, 'function|load'), await callsOf(admin, 'fcall'),
      await callsOf(admin, 'fcall', 'failed_calls'), await callsOf(admin, 'evalsha') + await callsOf(admin, 'eval')];
    // Two turns' calls find it missing together (Redis paused until both are sent): one load, each call sent again.
    await admin.client('PAUSE', 200, 'ALL');
    const later = new Promise((resolve) => setTimeout(resolve, 20));
    const results = await Promise.all([reserve(store, 'after-flush-1'), later.then(() => reserve(store, 'after-flush-2'))]);
    expect(results.map((r) => r.states[0]?.reserved)).toEqual([1, 2].map((n) => (results[0]?.states[0]?.reserved ?? 0) + n - 1));
    expect((await callsOf(admin, 'function|load')) - loads).toBe(1);
    expect((await reserve(store, 'after-flush-3')).ok).toBe(true);
    expect((await callsOf(admin, 'function|load')) - loads).toBe(1);
    // Two calls refused (counted among its calls too), two sent again, one more; no script run any other way.
    expect((await callsOf(admin, 'fcall', 'failed_calls')) - refused).toBe(2);
    expect((await callsOf(admin, 'fcall')) - fcalls).toBe(5);
    expect((await callsOf(admin, 'evalsha')) + (await callsOf(admin, 'eval')) - evals).toBe(0);
  });

  it('where Redis refuses Functions (an ACL without FUNCTION and FCALL), says so once and runs the same script with EVALSHA, EVAL after a NOSCRIPT', async () => {
    await admin.call('ACL', 'SETUSER', 'no-functions', 'on', '>pw', '~*', '&*', '+@all', '-function', '-fcall');
    const warnings: string[] = [];
    const limited = new Redis({ ...redisOptionsFor(server.url.replace('redis://', 'redis://no-functions:pw@')), ...CLIENT_OPTIONS });
    const other = createRedisStore({ client: limited, warn: (m) => warnings.push(m) });
    try {
      const evals = async () => callsOf(admin, 'eval');
      const first = await Promise.all([reserve(other, 'acl-refused-1'), reserve(other, 'acl-refused-2')]);
      expect(first.every((r) => r.ok)).toBe(true);
      expect((await reserve(other, 'acl-refused-3')).states[0]?.reserved).toBe((first[0]?.states[0]?.reserved ?? 0) + 2);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/Functions not usable \(NOPERM.*EVALSHA/);
      await admin.script('FLUSH');
      const before = await evals();
      const results = await Promise.all([reserve(other, 'acl-after-flush-1'), reserve(other, 'acl-after-flush-2')]);
      expect(results.map((r) => r.states[0]?.reserved)).toEqual([1, 2].map((n) => (results[0]?.states[0]?.reserved ?? 0) + n - 1));
      expect((await evals()) - before).toBe(1);
      // Loaded again by that EVAL: the next call is an EVALSHA.
      expect((await reserve(other, 'acl-after-flush-3')).ok).toBe(true);
      expect((await evals()) - before).toBe(1);
      expect(warnings).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('answers a user the ACL keeps from the keys with its refusal, and does not give up on Functions for it', async () => {
    await admin.call('ACL', 'SETUSER', 'other-keys', 'on', '>pw', '~other:*', '&*', '+@all');
    const warnings: string[] = [];
    const limited = new Redis({ ...redisOptionsFor(server.url.replace('redis://', 'redis://other-keys:pw@')), ...CLIENT_OPTIONS });
    const other = createRedisStore({ client: limited, warn: (m) => warnings.push(m) });
    try {
      await expect(reserve(other, 'no-keys')).rejects.toThrow(/NOPERM/);
      expect(warnings).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('answers a reused id in a batch with its own error, and the others of the batch as usual', async () => {
    await reserve(store, 'taken');
    const results = await Promise.allSettled([reserve(store, 'fresh-1'), reserve(store, 'taken'), reserve(store, 'fresh-2')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ name: 'ReservationIdTaken' });
  });

  it('a request that fails inside the script leaves the next ones of its user deciding on what Redis holds', async () => {
    // The counters a request read are not read again by the next requests of its user in the same
    // batch; one that fails after changing them in memory must not pass those changes on, nor
    // lose what the requests before it wrote.
    const userId = uniqueId('failing');
    const tokens = [check('tokens', 'day', 100, 10)];
    expect((await store.reserve(plainReservation({ userId, requestId: 'a', checks: tokens }))).ok).toBe(true);
    // The settle of `a` goes over the limit, so it draws on the grants: a hash it cannot read fails it there.
    await admin.set(`tg:{u:${userId}}:grants`, 'not a hash');
    const record: LedgerRecord = { requestId: 'a', time: 0, user: userId, model: 'm', conversation: null, promptTokens: 150,
      completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false, anomaly: null };
    const [before, settled, after] = await Promise.allSettled([
      store.reserve(plainReservation({ userId, requestId: 'c', checks: tokens })),
      store.settle({ userId, requestId: 'a', checks: tokens, actual: { requests: 1, messages: 0, tokens: 150, credits: 0, spend_micros: 0 }, conversationRoot: null, record }),
      store.reserve(plainReservation({ userId, requestId: 'b', checks: tokens })),
    ]);
    expect(before).toMatchObject({ status: 'fulfilled', value: { ok: true, states: [{ used: 0, reserved: 20 }] } });
    expect(settled.status).toBe('rejected');
    // `b` saw a's 10 (the failed settle wrote no counter), c's 10 and its own.
    expect(after).toMatchObject({ status: 'fulfilled', value: { ok: true, states: [{ used: 0, reserved: 30 }] } });
    await admin.del(`tg:{u:${userId}}:grants`);
    expect(await store.peek({ userId, checks: tokens, parallelLimit: null, conversationId: null })).toMatchObject([{ used: 0, reserved: 30 }]);
  });

  it('a counter that settles of a batch added to without reading it is read, later in that batch, as those adds left it', async () => {
    // Settles add to a counter kept only for reporting without reading its hash, and write the
    // batch's sum once at its end; a request of the same batch that limits that counter reads it.
    const userId = uniqueId('blind');
    const reporting = [check('messages', 'month', null, 1)];
    const limited = [check('messages', 'month', 5, 1)];
    for (const id of ['a', 'b']) expect((await store.reserve(plainReservation({ userId, requestId: id, checks: reporting }))).ok).toBe(true);
    const settle = (requestId: string) => {
      const record: LedgerRecord = { requestId, time: 0, user: userId, model: 'm', conversation: null, promptTokens: 0,
        completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false, anomaly: null };
      return store.settle({ userId, requestId, checks: reporting, actual: { requests: 1, messages: 1, tokens: 0, credits: 0, spend_micros: 0 }, conversationRoot: null, record });
    };
    const [, , reserved] = await Promise.all([settle('a'), settle('b'), store.reserve(plainReservation({ userId, requestId: 'c', checks: limited }))]);
    expect(reserved).toMatchObject({ ok: true, states: [{ used: 2, reserved: 1 }] });
    expect(await store.peek({ userId, checks: limited, parallelLimit: null, conversationId: null })).toMatchObject([{ used: 2, reserved: 1 }]);
  });

  it('reclaims, later in the same batch, a reservation that expired as it was made', async () => {
    // A user's expired reservations are looked for once per batch instant, unless one expires at once.
    const userId = uniqueId('at-once');
    const tokens = [check('tokens', 'day', 100, 10)];
    const [first, second] = await Promise.all([
      store.reserve(plainReservation({ userId, requestId: 'gone-at-once', checks: tokens, ttlMs: 0 })),
      store.reserve(plainReservation({ userId, requestId: 'next', checks: tokens })),
    ]);
    expect(first).toMatchObject({ ok: true, states: [{ reserved: 10 }] });
    expect(second).toMatchObject({ ok: true, states: [{ used: 0, reserved: 10 }] });
  });

  it("sends a turn's batch while the previous batch is still waiting for Redis", async () => {
    const writes = countWrites(client.stream);
    // Redis holds every write command (scripts included) for 400 ms: the first reply cannot come sooner.
    await admin.call('CLIENT', 'PAUSE', '400', 'WRITE');
    let firstDone = false;
    const first = reserve(store, 'paused-1').then((r) => {
      firstDone = true;
      return r;
    });
    while (writes.count < 1) await nextTurn();
    const second = reserve(store, 'paused-2');
    const deadline = Date.now() + 300;
    while (writes.count < 2 && Date.now() < deadline) await nextTurn();
    expect(writes.count).toBe(2);
    expect(firstDone).toBe(false);
    expect((await first).ok).toBe(true);
    expect((await second).ok).toBe(true);
  });

  it('reads the batch\'s MessagePack reply as the same values Redis sends for them as RESP', async () => {
    // Each reply of a batch as Lua holds it: numbers whole and not, negative and past 2^32, text
    // (empty, not ASCII), and the booleans RESP turns into 1 and nil.
    const lua = "{ {1, 16384, 0, '', 'a b', 'parallel', -1, 1796198400000, 2.9, -2.9, 'é€'}, 1796198400123, {'!err', 'TG_ID_TAKEN x'}, {1, true, 7}, 0, {} }";
    const resp = await admin.eval(`return ${lua}`, 0);
    const packed = await admin.callBuffer('EVAL', `return cmsgpack.pack(${lua})`, 0);
    expect(batchReplies(packed)).toEqual(resp);
    expect(resp).toEqual([[1, 16384, 0, '', 'a b', 'parallel', -1, 1796198400000, 2, -2, 'é€'], 1796198400123, ['!err', 'TG_ID_TAKEN x'], [1, 1, 7], 0, []]);
  });

  it('decides every request of a batch exactly as its own call would: the same answers, counters, trees, ledgers, rollups and window hashes', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 12 }), async (turns) => {
      const clock = createManualClock(T);
      const batched = createRedisStore({ client: new Redis({ ...redisOptionsFor(server.url), ...CLIENT_OPTIONS }), clock });
      const alone = createRedisStore({ client: new Redis({ ...redisOptionsFor(server.url), ...CLIENT_OPTIONS }), clock });
      try {
        const users = (label: string) => Array.from({ length: USERS }, (_, i) => uniqueId(`${label}${i}`));
        expect(await play(batched, admin, users('gc-b'), turns, true)).toBe(await play(alone, admin, users('gc-a'), turns, false));
      } finally {
        await batched.close();
        await alone.close();
      }
    }), { numRuns: 60 });
  }, 120_000);
});
