// Snapshot files: a header, the state's records, an end record counting them. Written to a
// temporary file, synced and renamed into place, so a snapshot is whole or absent.
import { closeSync, fsync, fsyncSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { MemoryState } from '../memory.js';
import { DataDirError } from './data-dir.js';
import { encodeRecord, readRecords } from './record-file.js';
import { stateFromRecords } from './state-codec.js';

/** The file's text in pieces of about 1 MiB. */
function* chunks(gen: number, time: number, records: Iterable<unknown>): Generator<string> {
  let chunk = encodeRecord({ tollgate: 'snapshot', version: 1, gen, time });
  let count = 0;
  for (const r of records) {
    chunk += encodeRecord(r);
    count++;
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk + encodeRecord({ end: count });
}

function install(tmp: string, file: string): number {
  renameSync(tmp, file);
  syncDir(path.dirname(file));
  return statSync(file).size;
}

/** Writes a snapshot at once (at start, when nothing else runs); returns its size. */
export function writeSnapshotSync(file: string, gen: number, time: number, records: Iterable<unknown>): number {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks(gen, time, records)) writeSync(fd, c);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return install(tmp, file);
}

/** Writes a snapshot a piece per turn of the event loop, so requests go on meanwhile; returns its size. */
export async function writeSnapshot(file: string, gen: number, time: number, records: Iterable<unknown>): Promise<number> {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks(gen, time, records)) {
      writeSync(fd, c);
      await new Promise((r) => setImmediate(r));
    }
    await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  } finally {
    closeSync(fd);
  }
  return install(tmp, file);
}

export function loadSnapshot(file: string): MemoryState {
  try {
    const { records } = readRecords(file, true);
    const head = records[0] as { tollgate?: string } | undefined;
    const tail = records.at(-1) as { end?: number } | undefined;
    if (head?.tollgate !== 'snapshot' || tail?.end !== records.length - 2) throw new Error('incomplete (no header or no end record)');
    return stateFromRecords(records.slice(1, -1));
  } catch (e) {
    if (e instanceof DataDirError) throw e;
    throw new DataDirError(`${file}: not a readable snapshot (${(e as Error).message}); restore it from a backup (the log after it holds only what changed since)`);
  }
}

/** Makes the renames and new files in a directory durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
