// Group commit: the reserves and settles of one event-loop turn go to Redis in one script call
// per Cluster slot (lua/batch.lua), in the order they were made. Under load many requests reserve
// and settle in the same turn; each used to pay Redis's and ioredis's per-call cost (a command
// parsed, a script looked up and entered, its arguments decoded, a reply written and read), now
// a turn's requests pay it once. Nothing waits for a batch to fill: what was queued by the end of
// the turn (setImmediate runs after the turn's I/O callbacks) goes, whatever is still in flight.
//
// Each request is decided as its own call would be: the script runs them one after another with
// nothing between them, so the outcome is that of the same calls sent one by one in that order
// (test/store/group-commit.test.ts compares the two). A request whose part fails gets that error
// alone; a call that fails as a whole (a timeout, a lost connection) fails every request in it, as
// it would have failed each of their own calls: the caller's usual handling applies to each.
import type { Cluster, Redis } from 'ioredis';
import type { BatchReply, ScriptedRedis } from './scripts.js';

/** Requests per script call: a turn with more is several calls, each a bounded pause for Redis. */
const MAX_BATCH = 128;

/** A request as a batch carries it: its kind, its user's prefix and outbox stream, its arguments (codec.ts). */
export interface BatchItem {
  readonly kind: 'r' | 's';
  readonly prefix: string;
  readonly outbox: string;
  readonly args: readonly string[];
}

interface Pending extends BatchItem {
  readonly resolve: (reply: BatchReply) => void;
  readonly reject: (e: unknown) => void;
}

/** A reserve's or settle's part of a batch that failed: the script's message, as a call of its own would have thrown it. */
export class BatchItemError extends Error {}

/**
 * The batch script's arguments (lua/batch.lua): '' (the script's slot), the number of keys, each
 * request's prefix and outbox, the kinds, then each request's arguments. A plan (each request's
 * second argument) equal to the one the request of the same kind before it in the batch sent goes
 * as '' (the requests of one user, and of users on one plan, send the same): a call of 16
 * requests then carries each plan's few hundred bytes once, not once a request.
 */
export function batchArgs(items: readonly BatchItem[]): string[] {
  const args: string[] = ['', String(2 * items.length)];
  let kinds = '';
  for (const it of items) {
    args.push(it.prefix, it.outbox);
    kinds += it.kind;
  }
  args.push(kinds);
  let reservePlan = '';
  let settlePlan = '';
  for (const it of items) {
    args.push(it.args[0] as string);
    const plan = it.args[1] as string;
    if (it.kind === 'r') {
      args.push(plan === reservePlan ? '' : plan);
      reservePlan = plan;
    } else {
      args.push(plan === settlePlan ? '' : plan);
      settlePlan = plan;
    }
    for (let j = 2; j < it.args.length; j++) args.push(it.args[j] as string);
  }
  return args;
}

export type GroupCommit = (kind: 'r' | 's', prefix: string, outbox: string, args: readonly string[]) => Promise<BatchReply>;

export function createGroupCommit(redis: ScriptedRedis, client: Redis | Cluster): GroupCommit {
  const cluster = client.isCluster;
  // A single Redis takes any keys in one script; a Cluster only one slot's. A group's key is then
  // the outbox stream of the requests' users, one stream a slot (outbox-keys.ts).
  let groups = new Map<string, Pending[]>();
  let scheduled = false;

  function send(items: readonly Pending[]): void {
    redis.tgBatchArgs(batchArgs(items)).then((replies) => {
      items.forEach((it, i) => {
        const r = replies[i];
        if (r === undefined) it.reject(new Error('batch script answered fewer replies than requests'));
        else if (Array.isArray(r) && r[0] === '!err') it.reject(new BatchItemError(String(r[1])));
        else it.resolve(r);
      });
    }, (e: unknown) => {
      for (const it of items) it.reject(e);
    });
  }

  function flush(): void {
    scheduled = false;
    const turn = groups;
    groups = new Map();
    for (const items of turn.values()) {
      for (let i = 0; i < items.length; i += MAX_BATCH) send(items.length <= MAX_BATCH ? items : items.slice(i, i + MAX_BATCH));
    }
  }

  return (kind, prefix, outbox, args) => new Promise<BatchReply>((resolve, reject) => {
    const slot = cluster ? outbox : '';
    let group = groups.get(slot);
    if (!group) groups.set(slot, (group = []));
    group.push({ kind, prefix, outbox, args, resolve, reject });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}
