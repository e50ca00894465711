// The Redis store: one script call to reserve, one to settle (those of one event-loop turn go together:
// group-commit.ts). Admin records are plain keys.
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import { ReservationIdTaken, StoreNotReached } from '../errors.js';
import { calibrationKeys, creationsKey, epochKey, keyDigestKey, keyIdKey, keyUseKey, ledgerKey, settingsKey, usageIndexKey, userKeysKey, userPrefix, userRecordKey, usersIndexKey } from '../keys.js';
import type { CalibrationSample, CreationCap, KeyRecord, LedgerPageQuery, LedgerRecord, OnReclaim, PeekRequest, ReserveRequest, ReserveResult, SettleOptions, SettleRequest, Store, UserRecord } from '../types.js';
import { decodeStates, grantArgs, peekArgs, reserveArgs, resetArgs, settleArgs, STATE_VALUES } from './codec.js';
import { periodOf } from '../../limits/windows.js';
import { HISTORY_DAYS, NO_MODEL, rollupOf } from '../rollup.js';
import { createIndexBatcher } from './index-batcher.js';
import { grantStates, type StoredGrant } from '../grants.js';
import { recordFields, recordFromFields, wellFormed } from './ledger-codec.js';
import { outboxKey, slotTags } from './outbox-keys.js';
import { createReplicaWait, type ReplicaWait } from './replica-wait.js';
import { createRedisOutbox } from './outbox.js';
import { createGroupCommit } from './group-commit.js';
import { defineScripts } from './scripts.js';
import { usageReads } from './usage-reads.js';

/** Values before the limit states in a reserve's reply (reserve.lua). */
const HEADER = 5;

export interface RedisStoreOptions {
  client: Redis | Cluster;
  /** Told of the reservations a reserve released because they expired unsettled. */
  onReclaim?: OnReclaim;
  /** Injected clock; without one every script reads Redis TIME, so replicas agree at midnight. */
  clock?: Clock;
  /** Days of per-day history kept (default 400). */
  historyDays?: number;
  /** A settle asked to confirm waits (WAIT) for this many replicas, up to timeoutMs (store.settle_replicas). */
  settleReplicas?: ReplicaWait | null;
  /** Told once when Redis does not allow Functions (scripts.ts: the batch script then runs with EVALSHA). */
  warn?: (message: string) => void;
}

const DAY = 86_400_000;

export function createRedisStore(options: RedisStoreOptions): Store {
  const redis = defineScripts(options.client, { warn: options.warn });
  const now = (): number => options.clock?.now() ?? 0;
  const firstConnect = firstReady(options.client, 5000);
  const commit = createGroupCommit(redis, options.client);
  const outbox = createRedisOutbox(options.client, () => options.clock?.now() ?? Date.now());
  // The table of outbox tags, made now rather than by the first request (which would wait for it).
  slotTags();
  const historyMs = (options.historyDays ?? HISTORY_DAYS) * DAY;
  const ix = createIndexBatcher(redis, historyMs);
  const replicated = options.settleReplicas ? createReplicaWait(options.client, options.settleReplicas) : null;

  async function reserve(req: ReserveRequest): Promise<ReserveResult> {
    await firstConnect();
    const reply = await commit('r', userPrefix(req.userId), outboxKey(req.userId), reserveArgs(req, now())).catch((e: unknown) => {
      throw transportError(e, req.requestId);
    }) as Array<string | number>;
    const states = decodeStates(reply, HEADER, req.checks);
    if (Number(reply[0]) === 2) outbox.noticed(req.userId);
    const reclaimed = String(reply[4]);
    if (reclaimed !== '' && options.onReclaim) options.onReclaim(req.userId, reclaimed.split(' '));
    if (Number(reply[0]) === 1) {
      const root = String(reply[3]);
      return { ok: true, output: Number(reply[1]), states, conversationRoot: root === '' ? null : root };
    }
    const index = Number(reply[2]) - 1;
    const denied = states[index];
    if (!denied) throw new Error('reserve script refused without naming a limit');
    const tag = String(reply[HEADER + index * STATE_VALUES]);
    return tag === 'conv-unpriced' ? { ok: false, denied, states, unpriced: true } : { ok: false, denied, states };
  }

  async function settle(req: SettleRequest, o: SettleOptions = {}) {
    await firstConnect();
    // A journal line written before failures were counted apart has no failed_requests: the script reads it as 0.
    const args = settleArgs(req, now(), recordFields(req.record), historyMs);
    // 0: settled before; `now` when applied without an event; [1, now, events] with (settle.lua).
    const reply = await commit('s', userPrefix(req.userId), outboxKey(req.userId), args);
    const at = Array.isArray(reply) ? Number(reply[1]) : Number(reply);
    if (!(at > 0)) return { applied: false };
    if (Array.isArray(reply) && Number(reply[2]) > 0) outbox.noticed(req.userId);
    // The usage index and the deployment's rollup, written about once a second (index-batcher.ts).
    ix.add(req.userId, wellFormed(req.record.model || NO_MODEL), at, req.actual, rollupOf(req.actual, req.record));
    return o.confirm && replicated ? { applied: true, replicated: await replicated(req.userId) } : { applied: true };
  }

  async function peek(q: PeekRequest) {
    await firstConnect();
    return decodeStates(await redis.tgPeek(userPrefix(q.userId), peekArgs(q, now())), 0, q.checks);
  }

  async function ledger(userId: string, limit: number): Promise<LedgerRecord[]> {
    const rows = await redis.xrevrange(ledgerKey(userId), '+', '-', 'COUNT', limit);
    return rows.map(([, fields]) => recordFromFields(fields));
  }

  /** XRANGE / XREVRANGE from the cursor (exclusive): O(log n + limit) per page. One more than asked tells whether a page follows. */
  async function ledgerPage(q: LedgerPageQuery) {
    await firstConnect();
    const rows = q.from !== null
      ? await redis.xrange(ledgerKey(q.userId), q.cursor !== null ? `(${q.cursor}` : String(q.from), '+', 'COUNT', q.limit + 1)
      : await redis.xrevrange(ledgerKey(q.userId), q.cursor !== null ? `(${q.cursor}` : '+', '-', 'COUNT', q.limit + 1);
    const entries = rows.slice(0, q.limit).map(([id, fields]) => ({ id, record: recordFromFields(fields) }));
    return { entries, next: rows.length > q.limit ? (entries.at(-1)?.id ?? null) : null };
  }

  /** Two reads, not one atomic step: a listing, which may show a request that settled between them as still reserved. */
  async function listGrants(userId: string) {
    await firstConnect();
    const prefix = userPrefix(userId);
    const [stored, resv] = await Promise.all([redis.hgetall(`${prefix}grants`), redis.hgetall(`${prefix}grant-resv`)]);
    const grants = new Map(Object.entries(stored).map(([id, raw]) => [id, JSON.parse(raw) as StoredGrant]));
    return grantStates(grants, Object.fromEntries(Object.entries(resv).map(([d, v]) => [d, Number(v)])), now() || Date.now());
  }

  const parse = <T>(raw: string | null): T | null => (raw === null ? null : (JSON.parse(raw) as T));

  /** Revocation deletes the digest record, so the key stops resolving (auth caches for auth.cache_ms). */
  async function revokeKey(keyId: string): Promise<boolean> {
    await firstConnect();
    const digest = await redis.get(keyIdKey(keyId));
    if (!digest) return false;
    const key = parse<KeyRecord>(await redis.get(keyDigestKey(digest)));
    await redis.del(keyDigestKey(digest));
    await redis.del(keyIdKey(keyId));
    await redis.zrem(keyUseKey, keyId);
    if (key) await redis.srem(userKeysKey(key.userId), keyId);
    return true;
  }

  /**
   * ZADD GT: one command per 1,000 keys, and the later of two replicas' times wins whatever order
   * they flush in. A flush that races a revocation can leave the revoked key's member behind (a
   * few bytes, never read: listings start from the key records).
   */
  async function recordKeyUse(uses: ReadonlyArray<readonly [string, number]>): Promise<void> {
    await firstConnect();
    for (let i = 0; i < uses.length; i += 1000) {
      await redis.zadd(keyUseKey, 'GT', ...uses.slice(i, i + 1000).flatMap(([keyId, at]) => [at, keyId]));
    }
  }

  /** Key records with their last use (one ZMSCORE for the lot). */
  async function withLastUse(keys: KeyRecord[]): Promise<KeyRecord[]> {
    if (keys.length === 0) return keys;
    const scores = await redis.zmscore(keyUseKey, ...keys.map((k) => k.keyId));
    return keys.map((k, i) => (scores[i] === null || scores[i] === undefined ? k : { ...k, lastUsedAt: Number(scores[i]) }));
  }

  /**
   * Not one atomic step, and it need not be: SET NX makes the creation exactly-once, and the cap's
   * counter is taken before the SET and given back when another replica won, so it never lets
   * more than `perMinute` creations through (a race can only refuse early, never admit extra).
   */
  async function createUser(user: UserRecord, cap: CreationCap | null): Promise<'created' | 'exists' | 'limited'> {
    await firstConnect();
    if (await redis.exists(userRecordKey(user.id))) return 'exists';
    const minute = Math.floor((options.clock?.now() ?? Date.now()) / 60_000);
    const counter = cap ? creationsKey(cap.by, minute) : null;
    if (cap && counter) {
      const n = await redis.incr(counter);
      if (n === 1) await redis.pexpire(counter, 120_000);
      if (n > cap.perMinute) {
        await redis.decr(counter);
        return 'limited';
      }
    }
    if ((await redis.set(userRecordKey(user.id), JSON.stringify(user), 'NX')) === null) {
      if (counter) await redis.decr(counter);
      return 'exists';
    }
    await redis.zadd(usersIndexKey, 0, user.id);
    return 'created';
  }

  /** ZADD GT keeps the larger of two maxima in one command (Redis 6.2+). Not one transaction: each figure stands alone. */
  async function recordCalibration(samples: readonly CalibrationSample[]): Promise<void> {
    await firstConnect();
    const p = redis.pipeline();
    for (const s of samples) {
      if (s.ratioPermille > 0) p.zadd(calibrationKeys.ratio, 'GT', s.ratioPermille, s.model);
      if (s.surplus > 0) p.zadd(calibrationKeys.surplus, 'GT', s.surplus, s.model);
      p.hincrby(calibrationKeys.samples, s.model, s.samples);
    }
    for (const [err] of (await p.exec()) ?? []) if (err) throw err;
  }

  async function calibration(): Promise<CalibrationSample[]> {
    await firstConnect();
    const [ratios, surpluses, counts] = await Promise.all([
      redis.zrange(calibrationKeys.ratio, '0', '-1', 'WITHSCORES'), redis.zrange(calibrationKeys.surplus, '0', '-1', 'WITHSCORES'),
      redis.hgetall(calibrationKeys.samples),
    ]);
    const byModel = new Map<string, { ratioPermille: number; surplus: number; samples: number }>();
    const at = (m: string) => {
      let v = byModel.get(m);
      if (!v) byModel.set(m, (v = { ratioPermille: 0, surplus: 0, samples: 0 }));
      return v;
    };
    for (let i = 0; i < ratios.length; i += 2) at(ratios[i] as string).ratioPermille = Number(ratios[i + 1]);
    for (let i = 0; i < surpluses.length; i += 2) at(surpluses[i] as string).surplus = Number(surpluses[i + 1]);
    for (const [m, n] of Object.entries(counts)) at(m).samples = Number(n);
    return [...byModel].map(([model, v]) => ({ model, ...v }));
  }

  return {
    kind: 'redis',
    recordCalibration,
    calibration,
    reserve,
    settle,
    peek,
    ledger,
    ledgerPage,
    outbox,
    ...usageReads(redis, async () => {
      await firstConnect();
      await ix.flush();
    }),
    getUser: async (id) => (await firstConnect(), parse<UserRecord>(await redis.get(userRecordKey(id)))),
    putUser: async (user) => {
      await firstConnect();
      await redis.set(userRecordKey(user.id), JSON.stringify(user));
      await redis.zadd(usersIndexKey, 0, user.id);
    },
    createUser: (user, cap) => createUser(user, cap),
    putKey: async (digest: string, key: KeyRecord) => {
      await firstConnect();
      await redis.set(keyDigestKey(digest), JSON.stringify(key));
      await redis.set(keyIdKey(key.keyId), digest);
      await redis.sadd(userKeysKey(key.userId), key.keyId);
    },
    listUsers: async (cursor, limit) => {
      await firstConnect();
      const ids = await redis.zrangebylex(usersIndexKey, cursor === null ? '-' : `(${cursor}`, '+', 'LIMIT', 0, limit + 1);
      const page = ids.slice(0, limit);
      const users = (await Promise.all(page.map(async (id) => parse<UserRecord>(await redis.get(userRecordKey(id)))))).filter((u): u is UserRecord => u !== null);
      return { users, next: ids.length > limit ? (page.at(-1) ?? null) : null };
    },
    deleteUser: async (id) => {
      await firstConnect();
      for (const keyId of await redis.smembers(userKeysKey(id))) await revokeKey(keyId);
      const removed = await redis.del(userRecordKey(id));
      await redis.zrem(usersIndexKey, id);
      return removed > 0;
    },
    listKeys: async (userId) => {
      await firstConnect();
      const keys = await Promise.all((await redis.smembers(userKeysKey(userId))).map(async (keyId) => {
        const digest = await redis.get(keyIdKey(keyId));
        return digest ? parse<KeyRecord>(await redis.get(keyDigestKey(digest))) : null;
      }));
      return withLastUse(keys.filter((k): k is KeyRecord => k !== null).sort((a, b) => a.createdAt - b.createdAt));
    },
    revokeKey: (keyId) => revokeKey(keyId),
    recordKeyUse: (uses) => recordKeyUse(uses),
    keyById: async (keyId) => {
      await firstConnect();
      const digest = await redis.get(keyIdKey(keyId));
      const key = digest ? parse<KeyRecord>(await redis.get(keyDigestKey(digest))) : null;
      return key ? ((await withLastUse([key]))[0] ?? null) : null;
    },
    setKeyLimits: async (keyId, limits) => {
      await firstConnect();
      const digest = await redis.get(keyIdKey(keyId));
      const key = digest ? parse<KeyRecord>(await redis.get(keyDigestKey(digest))) : null;
      if (!digest || !key) return null;
      const next = { ...key, limits };
      // XX: a key revoked in the meantime stays revoked.
      return (await redis.set(keyDigestKey(digest), JSON.stringify(next), 'XX')) === null ? null : next;
    },
    resetCounters: async (userId, checks, record, calendar) => {
      await firstConnect();
      await redis.tgReset(userPrefix(userId), resetArgs(checks, now(), recordFields(record), calendar));
      // The user's usage in the index is zero again (what was gathered before the reset is written first).
      await ix.flush();
      const at = options.clock?.now() ?? Date.now();
      await Promise.all(checks.filter((c) => c.window === 'day' || c.window === 'month')
        .map((c) => redis.zadd(usageIndexKey(c.window, periodOf(c.window, at).start, c.dimension), 'XX', 0, userId)));
    },
    addGrant: async (userId, grant, record) => {
      await firstConnect();
      const created = (await redis.tgGrant(userPrefix(userId), grantArgs(grant, record.time, recordFields(record)))) === 1;
      const state = (await listGrants(userId)).find((g) => g.id === grant.id);
      if (!state) throw new Error(`grant '${grant.id}' vanished`);
      return { created, grant: state };
    },
    listGrants: (userId) => listGrants(userId),
    keyByDigest: async (digest) => (await firstConnect(), parse<KeyRecord>(await redis.get(keyDigestKey(digest)))),
    getSettings: async () => (await firstConnect(), parse<Record<string, number | null>>(await redis.get(settingsKey)) ?? {}),
    putSettings: async (limits) => {
      await firstConnect();
      await redis.set(settingsKey, JSON.stringify(limits));
    },
    ping: async () => {
      await firstConnect();
      await redis.ping();
    },
    epoch: async () => {
      await firstConnect();
      const id = `${Date.now()}-${randomUUID()}`;
      // SET NX GET: the marker that was there, or nothing (and ours is set): one command, no race.
      const before = (await redis.call('SET', epochKey, id, 'NX', 'GET')) as string | null;
      return before === null ? { id, created: true } : { id: before, created: false };
    },
    close: async () => {
      await ix.close().catch(() => undefined); // the index is a derived view: closing does not wait on a Redis that is gone
      await redis.quit();
    },
  };
}

// ioredis's words for a command refused before it was written (no connection, no offline queue).
const NOT_SENT = /enableOfflineQueue options is false/;

/** What a failed reserve means: never sent, refused as a reused id, or unknown (it may have run). */
function transportError(e: unknown, requestId: string): unknown {
  const message = e instanceof Error ? e.message : '';
  if (NOT_SENT.test(message)) return new StoreNotReached(e);
  if (message.startsWith('TG_ID_TAKEN')) return new ReservationIdTaken(requestId);
  return e;
}

/**
 * Waits for the client's first connection (clients run without an offline queue, so a command
 * sent before it would fail). Afterwards it costs nothing; later outages fail fast. A Cluster
 * keeps an offline queue of its own (its node connections need it: create-store.ts) and would
 * hold a command there while it is not ready, however long that lasts: a call made then is
 * refused at once instead, not sent.
 */
function firstReady(client: Redis | Cluster, timeoutMs: number): () => Promise<void> {
  let ready = false;
  let waiting: Promise<void> | null = null;
  const usable = (): Promise<void> => (client.isCluster && client.status !== 'ready'
    ? Promise.reject(new StoreNotReached(new Error(`Redis Cluster is ${client.status}, not ready`))) : Promise.resolve());
  return () => {
    if (ready || client.status === 'ready') {
      ready = true;
      return usable();
    }
    waiting ??= new Promise<void>((resolve) => {
      const done = () => {
        ready = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        client.off('ready', done);
        waiting = null;
        resolve();
      }, timeoutMs);
      client.once('ready', done);
    });
    return waiting.then(usable);
  };
}
