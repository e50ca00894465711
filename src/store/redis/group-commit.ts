// Group commit: the reserves and settles of a few event-loop turns go to Redis in one script call
// per Cluster slot (lua/batch.lua), in the order they were made. Under load many requests reserve
// and settle in the same turns; each used to pay Redis's and ioredis's per-call cost (a command
// parsed, a script looked up and entered, its arguments decoded, a reply written and read), now
// a batch's requests pay it once. A batch gathers for GATHER_TURNS turns of the event loop, never
// for a time: what was queued by the end of the last of them (setImmediate runs after a turn's I/O
// callbacks) goes, whatever is still in flight. At rest the turn after is empty and passes in
// microseconds; under load it is the loop reading the sockets that were ready, so a batch takes in
// the requests of both turns, and Redis wakes once for them (see GATHER_TURNS).
//
// Each request is decided as its own call would be: the script runs them one after another with
// nothing between them, so the outcome is that of the same calls sent one by one in that order
// (test/store/group-commit.test.ts compares the two). A request whose part fails gets that error
// alone; a call that fails as a whole (a timeout, a lost connection) fails every request in it, as
// it would have failed each of their own calls: the caller's usual handling applies to each.
import type { Cluster, Redis } from 'ioredis';
import type { BatchReply, ScriptedRedis } from './scripts.js';

/** Requests per script call: a batch with more is several calls, each a bounded pause for Redis. */
const MAX_BATCH = 128;

/**
 * Turns of the event loop a batch gathers for: the turn its first request was queued in and the
 * one after it. Measured as deployed (bench/quick.mjs, three builds interleaved in 8 rounds of 3 s,
 * both orders, four runs, 2026-12-02 06:26–06:33 UTC): Redis commands a request 7.3–7.5 at one
 * turn, 6.8–7.1 at two, 6.6 at three; Redis's CPU a request at two turns 0.82–0.92 of one turn's
 * (109 → 94, 116 → 98 µs), at three 0.72–0.83; throughput at two turns at or above one turn's in 7
 * of 8 comparisons (÷ floor 0.58 → 0.62, 0.54 → 0.63), at three below two's in 7 of 8 (the
 * requests' extra wait shows in a loop that runs nearly a core). Redis's saving is more than the
 * fewer calls' instructions (about 3 %): it is woken, reads, runs and writes once where it did
 * about twice. Waiting for the call in flight to be answered instead (one call at a time) gathered
 * as much as three turns but cost 8–14 % of the JSON throughput, and is not done.
 */
const GATHER_TURNS = 2;

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
  // The plan each kind sent last.
  const last = { r: '', s: '' };
  for (const it of items) {
    args.push(it.args[0] as string);
    const plan = it.args[1] as string;
    args.push(plan === last[it.kind] ? '' : plan);
    last[it.kind] = plan;
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

  /** Sends every queued request now, a call per slot (or several, MAX_BATCH each). */
  function sendQueued(): void {
    const batch = groups;
    groups = new Map();
    for (const items of batch.values()) {
      for (let i = 0; i < items.length; i += MAX_BATCH) send(items.length <= MAX_BATCH ? items : items.slice(i, i + MAX_BATCH));
    }
  }

  /** Runs at the end of each of a batch's turns, `left` of them still to come. */
  function tick(left: number): void {
    if (left > 0) {
      setImmediate(tick, left - 1);
      return;
    }
    scheduled = false;
    sendQueued();
  }

  // No command of this client overtakes a queued reserve or settle: what the gateway reads or
  // writes after a request's settle was queued (a quota read once the response has ended, the
  // ledger, an admin's reset) runs after it, as when each turn's batch went at once. Every command
  // ioredis sends goes through sendCommand (a pipeline's too), the batch's own when nothing is queued.
  const sendCommand = client.sendCommand.bind(client) as (...args: unknown[]) => unknown;
  (client as { sendCommand: (...args: unknown[]) => unknown }).sendCommand = (...args) => {
    if (groups.size > 0) sendQueued();
    return sendCommand(...args);
  };

  return (kind, prefix, outbox, args) => new Promise<BatchReply>((resolve, reject) => {
    const slot = cluster ? outbox : '';
    let group = groups.get(slot);
    if (!group) groups.set(slot, (group = []));
    group.push({ kind, prefix, outbox, args, resolve, reject });
    if (!scheduled) {
      scheduled = true;
      setImmediate(tick, GATHER_TURNS - 1);
    }
  });
}
