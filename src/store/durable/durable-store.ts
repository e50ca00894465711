// The memory store, kept on disk. Every call that can change the state is appended to a log,
// with the time it ran at, before its answer is given; at start the newest snapshot is loaded and
// the log replayed through the same memory store code. So a rule changed in memory.ts is
// persisted with no change here, and a Store method added without saying here whether it
// changes state does not compile. The log is compacted into a new snapshot when it outgrows the
// last one.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import type { Clock } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import { createMemoryStore, type MemoryState, type MemoryStore } from '../memory.js';
import type { Outbox } from '../outbox.js';
import type { Store } from '../types.js';
import { DataDirError, generations, lockDataDir, logFile, snapshotFile } from './data-dir.js';
import { encodeRecord, openAppender, readRecords, type Appender, type Fsync } from './record-file.js';
import { stateFromRecords, stateRecords } from './state-codec.js';

export interface DurableStoreOptions {
  dir: string;
  fsync: Fsync;
  clock?: Clock;
  warn: (msg: string) => void;
  /** Compact once the log is larger than this and than the last snapshot (default 64 MiB). */
  compactBytes?: number;
}

/** What each Store member does to the state: `mutation`s are logged, `read`s and `own` are not. */
const MEMBERS: { readonly [K in keyof Store]-?: 'mutation' | 'read' | 'own' } = {
  kind: 'own', reserve: 'mutation', settle: 'mutation', peek: 'read', ledger: 'read', ledgerPage: 'read',
  getUser: 'read', putUser: 'mutation', createUser: 'mutation', putKey: 'mutation', keyByDigest: 'read', listUsers: 'read',
  deleteUser: 'mutation', listKeys: 'read', keyById: 'read', setKeyLimits: 'mutation', revokeKey: 'mutation', resetCounters: 'mutation',
  getSettings: 'read', putSettings: 'mutation', recordCalibration: 'mutation', calibration: 'read', ping: 'own', close: 'own',
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
  let gen: number;
  let snapshotBytes = 0;
  try {
    const found = generations(o.dir);
    for (const f of found.stale) rmSync(f, { force: true });
    gen = found.snapshot;
    const state = gen > 0 ? loadSnapshot(snapshotFile(o.dir, gen)) : undefined;
    memory = createMemoryStore({ clock: pinnedClock, sweepEveryMs: null, ...(state ? { state } : {}) });
    for (const g of found.logs) replay(logFile(o.dir, g), g === found.logs.at(-1));
    // Nothing from the previous run will settle what it had reserved: give it all back now.
    memory.releaseAll();
    log = compact();
  } catch (e) {
    unlock();
    throw e;
  }

  function loadSnapshot(file: string): MemoryState {
    try {
      const { records } = readRecords(file, true);
      const head = records[0] as { tollgate?: string } | undefined;
      const tail = records.at(-1) as { end?: number } | undefined;
      if (head?.tollgate !== 'snapshot' || tail?.end !== records.length - 2) throw new Error('incomplete (no header or no end record)');
      snapshotBytes = statSync(file).size;
      return stateFromRecords(records.slice(1, -1));
    } catch (e) {
      if (e instanceof DataDirError) throw e;
      throw new DataDirError(`${file}: not a readable snapshot (${(e as Error).message}); restore it from a backup (the log after it holds only what changed since)`);
    }
  }

  function replay(file: string, last: boolean): void {
    const { records, tornBytes } = readRecords(file, false);
    if (tornBytes > 0) {
      if (!last) throw new DataDirError(`${file}: ${tornBytes} bytes at its end are damaged, and a newer log follows it`);
      o.warn(`${file}: dropped ${tornBytes} bytes at its end, a record cut short by a crash mid-write; everything before it is kept`);
    }
    for (const r of records as LogRecord[]) {
      pinned = r.t;
      try {
        if (r.op === 'sweep') memory.sweepAll();
        else void callOf(r.op)(...r.args).catch(() => undefined);
      } finally {
        pinned = null;
      }
    }
  }

  /**
   * Writes the whole state as snapshot gen+1 and starts log gen+1; then removes the older files.
   * The snapshot holds everything the old log did, so syncs still pending on it are moot.
   */
  function compact(): Appender {
    const next = gen + 1;
    const tmp = `${snapshotFile(o.dir, next)}.tmp`;
    const fd = openSync(tmp, 'w');
    let chunk = encodeRecord({ tollgate: 'snapshot', version: 1, gen: next, time: clock.now() });
    let count = 0;
    for (const r of stateRecords(memory.state)) {
      chunk += encodeRecord(r);
      count++;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk + encodeRecord({ end: count }));
    fsyncSync(fd);
    closeSync(fd);
    writeFileSync(logFile(o.dir, next), '', { flush: true });
    renameSync(tmp, snapshotFile(o.dir, next));
    syncDir(o.dir);
    snapshotBytes = statSync(snapshotFile(o.dir, next)).size;
    const previous = gen;
    gen = next;
    rmSync(snapshotFile(o.dir, previous), { force: true });
    rmSync(logFile(o.dir, previous), { force: true });
    return openAppender(logFile(o.dir, next), o.fsync);
  }

  /** Compacts in the call that took the log past its bound, so the log stays bounded however busy the loop is. */
  function maybeCompact(): void {
    if (log.bytes <= Math.max(o.compactBytes ?? 64 * 1024 * 1024, snapshotBytes)) return;
    const old = log;
    log = compact();
    old.close();
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
      log.append({ t, op, args } satisfies LogRecord);
      maybeCompact();
      return o.fsync === 'always' ? log.synced().then(() => result) : result;
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
  store.close = async () => {
    clearInterval(sweeper);
    await memory.close();
    log.close();
    unlock();
  };
  return store as unknown as Store;
}

/** Makes the renames and new files in a directory durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
