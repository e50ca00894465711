// Files of records, one a line: `<crc32 as 8 hex digits> <json>\n`. The checksum tells a record
// torn by a crash mid-write (or zeroes the disk never filled) from a good one.
import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { DataDirError } from './data-dir.js';

export type Fsync = 'always' | 'everysec';

export function encodeRecord(value: unknown): string {
  const json = JSON.stringify(value);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

function decodeLine(line: string): unknown {
  if (line.length < 10 || line[8] !== ' ') return undefined;
  const json = line.slice(9);
  if (parseInt(line.slice(0, 8), 16) !== crc32(json)) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

export interface ReadResult {
  records: unknown[];
  /** Bytes of whole, good records: where appending resumes. */
  goodBytes: number;
  /** Bytes dropped at the end (a record torn by a crash), 0 when none. */
  tornBytes: number;
}

/**
 * Reads every record of a file. A bad record followed only by bad bytes is a torn end (a crash
 * mid-write): dropped, and reported in `tornBytes`. A bad record with good ones after it is
 * corruption: `strict` files (snapshots) and logs alike refuse it, naming the file and line.
 */
export function readRecords(file: string, strict: boolean): ReadResult {
  const text = readFileSync(file, 'utf8');
  const records: unknown[] = [];
  let pos = 0;
  let line = 0;
  let firstBad: { line: number; pos: number } | null = null;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    line++;
    const value = nl === -1 ? undefined : decodeLine(text.slice(pos, end));
    if (value === undefined) {
      if (strict) throw new DataDirError(`${file}: record ${line} is damaged (bad checksum, or cut short); the file cannot be trusted. Restore it from a backup (the log after it holds only what changed since)`);
      firstBad ??= { line, pos };
    } else if (firstBad) {
      throw new DataDirError(`${file}: record ${firstBad.line} is damaged but records after it are whole: this is not a crash mid-write. Keep a copy of the file and cut it at record ${firstBad.line} to start`);
    } else {
      records.push(value);
    }
    pos = end + 1;
  }
  const goodBytes = firstBad ? Buffer.byteLength(text.slice(0, firstBad.pos)) : Buffer.byteLength(text);
  return { records, goodBytes, tornBytes: Buffer.byteLength(text) - goodBytes };
}

/**
 * An append-only file. Appends made in one turn of the event loop are written to the operating
 * system together, in one write, once the turn's I/O callbacks have run (setImmediate, as the
 * Redis store's group commit); `written()` resolves then, and a store answers its call only after
 * it has (a killed process loses no answered call). `always` also waits for the disk (one
 * fdatasync shared by every append waiting at that moment), `everysec` syncs once a second (a
 * power cut can lose up to a second).
 */
export interface Appender {
  append(record: unknown): void;
  /** Resolves once everything appended so far is written to the operating system. */
  written(): Promise<void>;
  /** Resolves once everything appended so far is on the disk. */
  synced(): Promise<void>;
  /** Bytes in the file, counting appends not yet written. */
  readonly bytes: number;
  /** Writes what is pending, syncs and closes. */
  close(): void;
}

interface Pending {
  lines: string[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface AppenderOptions {
  /** Told when a write fails (the disk full, say); the bytes are kept and written first next time. */
  onError?: (e: Error) => void;
  /** The write (the OS's); tests hand in one that fails. */
  write?: (fd: number, buf: Buffer, offset: number, length: number) => number;
}

export function openAppender(file: string, fsync: Fsync, opts: AppenderOptions = {}): Appender {
  const write = opts.write ?? writeSync;
  const fd = openSync(file, 'a');
  let bytes = fstatSync(fd).size;
  let dirty = false;
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  let closed = false;
  let pending: Pending | null = null;
  // What a failed write left unwritten: it goes first next time, so the file keeps every record, in
  // order, and a record cut by the failure is completed rather than torn.
  let unwritten: Buffer | null = null;
  let retry: NodeJS.Timeout | null = null;

  /**
   * Writes this turn's appends (after anything a failed write left) in one call; the callers
   * waiting on them learn how it went. A failure answers them with the error (the store has the
   * change in memory and the bytes are kept, so the log still gets it) and is retried in a second.
   */
  const flush = (): void => {
    const p = pending;
    pending = null;
    if (!p && !unwritten) return;
    const text = p ? Buffer.from(p.lines.join('')) : null;
    const buf = unwritten && text ? Buffer.concat([unwritten, text]) : (unwritten ?? (text as Buffer));
    let off = 0;
    try {
      while (off < buf.length) off += write(fd, buf, off, buf.length - off);
      unwritten = null;
      dirty = true;
      p?.resolve();
    } catch (e) {
      unwritten = buf.subarray(off);
      dirty ||= off > 0;
      opts.onError?.(e as Error);
      if (!retry && !closed) {
        retry = setTimeout(() => {
          retry = null;
          flush();
        }, 1000);
        retry.unref();
      }
      p?.reject(e as Error);
    }
  };
  const written = (): Promise<void> => pending?.promise ?? Promise.resolve();

  // Once closed (by compaction: the snapshot holds all of it), a sync still waiting has nothing to do.
  const syncOnce = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      flush();
      dirty = false;
      if (closed) return resolve();
      fdatasync(fd, (err) => (err && !closed ? reject(err) : resolve()));
    });
  // Group commit: appends that arrive while a sync runs share the next one.
  const synced = (): Promise<void> => {
    if (!running) {
      running = written().then(syncOnce).finally(() => {
        running = null;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = null;
      return synced();
    });
    return queued;
  };
  const timer = fsync === 'everysec' ? setInterval(() => {
    if (dirty && !running) void synced().catch(() => undefined);
  }, 1000) : null;
  timer?.unref();

  return {
    append(record) {
      const line = encodeRecord(record);
      bytes += Buffer.byteLength(line);
      if (!pending) {
        let resolve!: () => void;
        let reject!: (e: Error) => void;
        const promise = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        promise.catch(() => undefined); // a failed write is reported to the callers waiting on it
        pending = { lines: [], promise, resolve, reject };
        setImmediate(flush);
      }
      pending.lines.push(line);
    },
    written,
    synced,
    get bytes() {
      return bytes;
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      if (timer) clearInterval(timer);
      if (retry) clearTimeout(retry);
      fdatasyncSync(fd);
      closeSync(fd);
    },
  };
}
