// The memory store, kept on disk. Every call that can change the state is appended to a log,
// with the time it ran at, before its answer is given; at start the newest snapshot is loaded and
// the log replayed through the same memory store code. So a rule changed in memory.ts is
// persisted with no change here, and a Store method added without saying here whether it
// changes state does not compile. The log is compacted into a new snapshot when it outgrows the
// last one.
import { rmSync, statSync, writeFileSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { createMemoryStore, type MemoryStore } from '../memory.js';
import type { Outbox } from '../outbox.js';
import type { OnReclaim, Store } from '../types.js';
import { DataDirError, generations, lockDataDir, logFile, snapshotFile } from './data-dir.js';
import { createLogDecoder, createLogEncoder, DEFINE_THRESHOLDS } from './log-codec.js';
import { openAppender, readRecords, type Appender, type Fsync } from './record-file.js';
import { loadSnapshot, writeSnapshot, writeSnapshotSync } from './snapshot-file.js';
import { stateRecords } from './state-codec.js';

export interface DurableStoreOptions {
  dir: string;
  fsync: Fsync;
  clock?: Clock;
  /** Days of per-day history kept (default 400). */
  historyDays?: number;
  warn: (msg: string) => void;
  /** Told of reservations released because they expired unsettled (not of those replayed from the log). */
  onReclaim?: OnReclaim;
  /** Compact once the log is larger than this and than the last snapshot (default 64 MiB). */
  compactBytes?: number;
}

/** What each Store member does to the state: `mutation`s are logged, `read`s and `own` are not. */
const MEMBERS: { readonly [K in keyof Store]-?: 'mutation' | 'read' | 'own' } = {
  kind: 'own', reserve: 'mutation', settle: 'mutation', peek: 'read', ledger: 'read', ledgerPage: 'read', history: 'read', usageRanking: 'read',
  getUser: 'read', putUser: 'mutation', createUser: 'mutation', putKey: 'mutation', keyByDigest: 'read', listUsers: 'read',
  deleteUser: 'mutation', listKeys: 'read', keyById: 'read', setKeyLimits: 'mutation', revokeKey: 'mutation', recordKeyUse: 'mutation', resetCounters: 'mutation',
  getSettings: 'read', putSettings: 'mutation', recordCalibration: 'mutation', addGrant: 'mutation', listGrants: 'read', calibration: 'read', ping: 'own', epoch: 'own', close: 'own',
  outbox: 'own', // its own calls are logged as `outbox.<method>` (OUTBOX)
};

/** What each outbox method does to the state: webhook deliveries are claimed and reported in it. */
const OUTBOX: { readonly [K in keyof Outbox]-?: 'mutation' | 'read' } = {
  subscribe: 'mutation', due: 'mutation', delivered: 'mutation', failed: 'mutation', recent: 'read', states: 'read',
};

type Call = (...args: unknown[]) => Promise<unknown>;
interface LogRecord { t: number; op: string; args: unknown[] }

export function openDurableStore(o: DurableStoreOptions): Store {
  const clock = o.clock ?? systemClock;
  const unlock = lockDataDir(o.dir, o.warn);
  let pinned: number | null = null;
  // The memory store reads the time through this clock: the time the call was logged with.
  const pinnedClock: Clock = { now: () => pinned ?? clock.now() };
  let memory: MemoryStore;
  let log: Appender;
  // Each log file names its own thresholds lists (log-codec.ts): a new file starts a new encoder.
  let encode = createLogEncoder();
  let gen: number;
  let snapshotBytes = 0;
  let replaying = true;
  let fresh = false;
  const onReclaim: OnReclaim = (userId, ids) => {
    if (!replaying) o.onReclaim?.(userId, ids);
  };
  try {
    const found = generations(o.dir);
    fresh = found.snapshot === 0 && found.logs.length === 0;
    for (const f of found.stale) rmSync(f, { force: true });
    gen = found.snapshot;
    const state = gen > 0 ? loadSnapshot(snapshotFile(o.dir, gen)) : undefined;
    if (gen > 0) snapshotBytes = statSync(snapshotFile(o.dir, gen)).size;
    memory = createMemoryStore({ clock: pinnedClock, sweepEveryMs: null, onReclaim, ...(o.historyDays ? { historyDays: o.historyDays } : {}), ...(state ? { state } : {}) });
    for (const g of found.logs) replay(logFile(o.dir, g), g === found.logs.at(-1));
    // Nothing from the previous run will settle what it had reserved: give it all back now.
    memory.releaseAll();
    replaying = false;
    log = compactNow();
  } catch (e) {
    unlock();
    throw e;
  }

  function replay(file: string, last: boolean): void {
    const { records, tornBytes } = readRecords(file, false);
    if (tornBytes > 0) {
      if (!last) throw new DataDirError(`${file}: ${tornBytes} bytes at its end are damaged, and a newer log follows it`);
      o.warn(`${file}: dropped ${tornBytes} bytes at its end, a record cut short by a crash mid-write; everything before it is kept`);
    }
    const decoder = createLogDecoder();
    for (const r of records as LogRecord[]) {
      if (r.op === DEFINE_THRESHOLDS) {
        decoder.define(r.args[0] as number, r.args[1] as Parameters<typeof decoder.define>[1]);
        continue;
      }
      r.args = decoder.decode(r.args);
      pinned = r.t;
      try {
        if (r.op === 'sweep') memory.sweepAll();
        else void callOf(r.op)(...r.args).catch(() => undefined);
      } finally {
        pinned = null;
      }
    }
  }

  /** Starts log gen+1 for what comes next, and writes the state as it is now as snapshot gen+1. */
  function compactNow(): Appender {
    const next = gen + 1;
    const appender = startLog(next);
    const bytes = writeSnapshotSync(snapshotFile(o.dir, next), next, clock.now(), stateRecords(memory.state));
    finish(next, bytes);
    return appender;
  }

  // A failed write (the disk full, say) is told at most every 10 s; the calls waiting on it are
  // answered with its error, and its bytes are written first when the disk takes them again.
  let warnedAt = -Infinity;
  function warnWriteFailed(e: Error): void {
    if (Date.now() - warnedAt < 10_000) return;
    warnedAt = Date.now();
    o.warn(`writing the log in ${o.dir} failed (${e.message}): calls are answered with an error until it can be written; what they changed is kept and written first once it can`);
  }

  function startLog(next: number): Appender {
    encode = createLogEncoder();
    writeFileSync(logFile(o.dir, next), '', { flush: true });
    return openAppender(logFile(o.dir, next), o.fsync, { onError: warnWriteFailed });
  }

  /** Snapshot `next` is in place: the older snapshot and log are no longer needed. */
  function finish(next: number, bytes: number): void {
    snapshotBytes = bytes;
    for (let g = gen; g < next; g++) {
      rmSync(snapshotFile(o.dir, g), { force: true });
      rmSync(logFile(o.dir, g), { force: true });
    }
    gen = next;
  }

  /**
   * Once the log outgrows its bound, new changes go to log gen+1 at once, the state is copied as
   * it is at that moment (everything but the ledgers' records, which never change), and the copy
   * is written as snapshot gen+1 a piece per turn of the event loop. Until it is in place, a start
   * replays snapshot gen, log gen and log gen+1.
   */
  let compacting: Promise<void> | null = null;
  function maybeCompact(): void {
    if (compacting || log.bytes <= Math.max(o.compactBytes ?? 64 * 1024 * 1024, snapshotBytes)) return;
    const next = gen + 1;
    const old = log;
    log = startLog(next);
    old.close();
    const copy = [...stateRecords(memory.state)];
    compacting = writeSnapshot(snapshotFile(o.dir, next), next, clock.now(), copy)
      .then((bytes) => finish(next, bytes), (e: Error) => o.warn(`compaction into ${snapshotFile(o.dir, next)} failed (${e.message}); the log goes on growing until the next one`))
      .finally(() => {
        compacting = null;
      });
  }

  /** A store method, or `outbox.<method>` for one of the outbox's. */
  function callOf(op: string): Call {
    if (op.startsWith('outbox.')) {
      const method = op.slice('outbox.'.length);
      return (...args) => ((memory.outbox as unknown as Record<string, Call>)[method] as Call)(...args);
    }
    return (memory as unknown as Record<string, Call>)[op] as Call;
  }

  function mutation(op: string): Call {
    const call = callOf(op);
    return (...args) => {
      const t = clock.now();
      pinned = t;
      let result: Promise<unknown>;
      try {
        result = call(...args);
      } finally {
        pinned = null;
      }
      const packed = encode(op, args);
      for (const d of packed.defines) log.append({ t, op: DEFINE_THRESHOLDS, args: d } satisfies LogRecord);
      log.append({ t, op, args: packed.args } satisfies LogRecord);
      maybeCompact();
      // The answer waits for the log (written to the OS; with always, on the disk); a refusal the
      // memory store gave now is passed on then, not reported as unhandled meanwhile.
      result.catch(() => undefined);
      return (o.fsync === 'always' ? log.synced() : log.written()).then(() => result);
    };
  }

  const sweeper = setInterval(() => {
    const t = clock.now();
    pinned = t;
    try {
      memory.sweepAll();
    } finally {
      pinned = null;
    }
    log.append({ t, op: 'sweep', args: [] } satisfies LogRecord);
  }, 60_000);
  sweeper.unref();

  const store: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(MEMBERS)) {
    const own = (memory as unknown as Record<string, unknown>)[name];
    store[name] = kind === 'mutation' ? mutation(name) : own;
  }
  const outbox: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(OUTBOX)) {
    const own = (memory.outbox as unknown as Record<string, Call>)[name] as Call;
    outbox[name] = kind === 'mutation' ? mutation(`outbox.${name}`) : own.bind(memory.outbox);
  }
  store.outbox = outbox;
  // The marker lives with the data: new only when the data directory was.
  store.epoch = async () => ({ id: `durable:${o.dir}`, created: (await memory.epoch()).created && fresh });
  store.close = async () => {
    clearInterval(sweeper);
    await compacting;
    await memory.close();
    log.close();
    unlock();
  };
  return store as unknown as Store;
}

