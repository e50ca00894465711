// The Redis outbox: the per-slot event streams written by reserve and settle (outbox-keys.ts),
// read by one consumer group per webhook. A new event is read with XREADGROUP; a delivery whose
// attempt failed, or whose replica died, stays pending and is taken with XCLAIM once it has been
// idle for its backoff. XCLAIM's min-idle check is atomic, so two replicas never both take it.
// Delivery state (attempts, last error) is a hash beside each stream.
import type { Cluster, Redis } from 'ioredis';
import type { Dimension, Window } from '../../limits/vocabulary.js';
import type { ClaimPolicy, Delivery, DeliveryState, EventType, Outbox, StoredEvent } from '../outbox.js';
import { deliveryStateKey, OUTBOX_PATTERN, OUTBOX_STREAMS, OUTBOX_WEBHOOKS, outboxKey } from './outbox-keys.js';
import { keyPrefixOf } from './scripts.js';

const STATE_TTL_MS = 30 * 86_400_000;
const SCAN_EVERY_MS = 10 * 60_000;
const USER_SCAN_MAX = 10_000;

type Entry = [string, string[]];

function eventOf(fields: string[]): StoredEvent {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
  const s = (k: string) => f.get(k) ?? '';
  return {
    id: s('id'), type: s('type') as EventType, time: Number(s('time')), user: s('user'),
    dimension: s('dim') as Dimension, window: s('window') as Window, scope: s('scope') as StoredEvent['scope'],
    limit: Number(s('limit')), used: Number(s('used')), threshold: s('threshold') || null,
    periodStart: s('period') === '' ? null : Number(s('period')), conversation: s('conv') || null,
  };
}

export interface RedisOutbox extends Outbox {
  /** A script recorded an event for this user: make sure the delivery side knows its stream. */
  noticed(userId: string): void;
}

export function createRedisOutbox(client: Redis | Cluster, now: () => number): RedisOutbox {
  const groups = new Set<string>();
  const since = new Map<string, number>();

  async function subscribe(webhook: string): Promise<number> {
    let ms = since.get(webhook);
    if (ms === undefined) {
      const [sec, usec] = await client.time();
      await client.hsetnx(OUTBOX_WEBHOOKS, webhook, Number(sec) * 1000 + Math.floor(Number(usec) / 1000));
      ms = Number(await client.hget(OUTBOX_WEBHOOKS, webhook));
      since.set(webhook, ms);
    }
    return ms;
  }
  let scannedAt = -Infinity;

  /** Every outbox stream: the set of names, and now and then a SCAN for a name a crash lost. */
  async function streams(): Promise<string[]> {
    if (now() - scannedAt >= SCAN_EVERY_MS) {
      scannedAt = now();
      const found = await scanStreams(client);
      if (found.length > 0) await client.sadd(OUTBOX_STREAMS, ...found);
    }
    return (await client.smembers(OUTBOX_STREAMS)).sort();
  }

  async function ensureGroup(stream: string, webhook: string): Promise<void> {
    const group = `wh:${webhook}`;
    if (groups.has(`${stream} ${group}`)) return;
    // From the webhook's subscription on (entry ids are Redis TIME in ms), whenever the group is
    // made: an event recorded in a stream before any replica saw that stream is delivered too.
    await client.xgroup('CREATE', stream, group, `${(await subscribe(webhook)) - 1}-0`, 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
    groups.add(`${stream} ${group}`);
  }

  async function due(webhook: string, consumer: string, policy: ClaimPolicy): Promise<Delivery[]> {
    const group = `wh:${webhook}`;
    const out: Delivery[] = [];
    for (const stream of await streams()) {
      if (out.length >= policy.count) break;
      await ensureGroup(stream, webhook);
      const pending = (await client.call('XPENDING', stream, group, 'IDLE', policy.retryAfter(1), '-', '+', policy.count)) as Array<[string, string, number, number]>;
      for (const [id, , idle, times] of pending) {
        const wait = policy.retryAfter(times);
        if (idle < wait) continue;
        const claimed = (await client.call('XCLAIM', stream, group, consumer, wait, id)) as Array<Entry | null>;
        for (const e of claimed) if (e) out.push({ event: eventOf(e[1]), ref: `${stream}\n${e[0]}`, attempt: times + 1 });
      }
      const fresh = (await client.xreadgroup('GROUP', group, consumer, 'COUNT', policy.count, 'STREAMS', stream, '>')) as Array<[string, Entry[]]> | null;
      for (const e of fresh?.[0]?.[1] ?? []) out.push({ event: eventOf(e[1]), ref: `${stream}\n${e[0]}`, attempt: 1 });
    }
    return out;
  }

  async function record(webhook: string, d: Delivery, state: DeliveryState, ack: boolean): Promise<void> {
    const [stream, id] = d.ref.split('\n') as [string, string];
    const key = deliveryStateKey(stream);
    await client.hset(key, `${d.event.id}|${webhook}`, JSON.stringify(state));
    await client.pexpire(key, STATE_TTL_MS);
    if (ack) await client.xack(stream, `wh:${webhook}`, id);
  }

  return {
    subscribe: async (webhook) => void (await subscribe(webhook)),
    noticed(userId) {
      // Not awaited: if this is lost (a crash right after the script), the periodic SCAN finds the stream.
      client.sadd(OUTBOX_STREAMS, outboxKey(userId)).catch(() => undefined);
    },

    async recent(user, limit) {
      const keys = user === null ? await streams() : [outboxKey(user)];
      const count = user === null ? limit : Math.min(USER_SCAN_MAX, limit * 50);
      const lists = await Promise.all(keys.map(async (k) => ((await client.xrevrange(k, '+', '-', 'COUNT', count)) as Entry[]).map((e) => eventOf(e[1]))));
      return lists.flat().filter((e) => user === null || e.user === user).sort((a, b) => b.time - a.time).slice(0, limit);
    },

    async states(events, webhooks) {
      const out = new Map<string, DeliveryState[]>();
      await Promise.all(events.map(async (e) => {
        const raw = webhooks.length === 0 ? [] : await client.hmget(deliveryStateKey(outboxKey(e.user)), ...webhooks.map((w) => `${e.id}|${w}`));
        out.set(e.id, webhooks.map((w, i) => {
          const s = raw[i];
          return s ? (JSON.parse(s) as DeliveryState) : { webhook: w, status: 'pending', attempts: 0, lastError: null, lastAttemptAt: null, deliveredAt: null };
        }));
      }));
      return out;
    },

    due,
    delivered: (webhook, d, at, skipped = false) =>
      record(webhook, d, { webhook, status: skipped ? 'skipped' : 'delivered', attempts: d.attempt, lastError: null, lastAttemptAt: at, deliveredAt: at }, true),
    failed: (webhook, d, error, at) =>
      record(webhook, d, { webhook, status: 'retrying', attempts: d.attempt, lastError: error, lastAttemptAt: at, deliveredAt: null }, false),
  };
}

/** Outbox stream names found by SCAN on every master (keyPrefix removed: commands add it back). */
async function scanStreams(client: Redis | Cluster): Promise<string[]> {
  const cluster = client.isCluster ? (client as Cluster) : null;
  const prefix = keyPrefixOf(client);
  const found: string[] = [];
  for (const node of cluster ? cluster.nodes('master') : [client as Redis]) {
    let cursor = '0';
    do {
      const [next, keys] = (await node.call('SCAN', cursor, 'MATCH', `${prefix}${OUTBOX_PATTERN}`, 'COUNT', 1000, 'TYPE', 'stream')) as [string, string[]];
      cursor = next;
      for (const k of keys) found.push(k.slice(prefix.length));
    } while (cursor !== '0');
  }
  return found;
}
