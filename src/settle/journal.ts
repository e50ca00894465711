// The durable journal: a settle the store could not take is appended here (one JSON line,
// fsync'd before the call returns) and replayed when the store answers again. Settle is
// idempotent per request id, so a line replayed twice charges once.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { SettleRequest, Store } from '../store/types.js';

export interface Journal {
  append(req: SettleRequest): Promise<void>;
  /** Applies what is journaled; returns how many lines are still waiting. */
  replay(): Promise<number>;
  /** Lines appended and not yet applied (those a replay is applying included, until each lands). */
  readonly backlog: number;
  close(): Promise<void>;
}

export interface JournalOptions {
  readonly file: string;
  readonly store: Store;
  readonly log: Logger;
  /** How often to try a replay while the journal holds anything. */
  readonly replayMs: number;
}

export function createJournal(o: JournalOptions): Journal {
  mkdirSync(path.dirname(o.file), { recursive: true });
  let handle: Promise<FileHandle> | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let backlog = 0;
  // Lines taken out of the file by a replay and not yet applied or put back: still backlog.
  let inReplay = 0;
  let replaying: Promise<number> | null = null;
  const locked = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const fileHandle = () => (handle ??= open(o.file, 'a'));

  /** Journal files left by a rotation that did not finish (a crash mid-replay) are replayed too. */
  const leftovers = (): string[] => readdirSync(path.dirname(o.file))
    .filter((f) => f.startsWith(`${path.basename(o.file)}.replay-`))
    .map((f) => path.join(path.dirname(o.file), f));

  async function applyFile(lines: readonly string[]): Promise<string[]> {
    const left: string[] = [];
    for (const line of lines) {
      if (left.length > 0) {
        left.push(line);
        continue;
      }
      try {
        await o.store.settle(JSON.parse(line) as SettleRequest);
        inReplay--;
      } catch (err) {
        o.log.debug({ err }, 'journal replay: store still unavailable');
        left.push(line);
      }
    }
    return left;
  }

  async function replayOnce(): Promise<number> {
    // Rotate under the lock so appends go on into a fresh file while this one is replayed.
    const rotated = await locked(async () => {
      if (backlog === 0 && leftovers().length === 0) return null;
      if (handle) await (await handle).close();
      handle = null;
      const target = `${o.file}.replay-${Date.now()}-${process.pid}`;
      try {
        await rename(o.file, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      inReplay = backlog;
      backlog = 0;
      return leftovers();
    });
    if (!rotated) return 0;
    const files = await Promise.all(rotated.map(async (file) => ({ file, lines: (await readFile(file, 'utf8')).split('\n').filter(Boolean) })));
    inReplay = files.reduce((n, f) => n + f.lines.length, 0);
    let waiting = 0;
    for (const { file, lines } of files) {
      const left = await applyFile(lines);
      if (left.length > 0) {
        await locked(async () => {
          const h = await fileHandle();
          await h.appendFile(`${left.join('\n')}\n`);
          await h.datasync();
          backlog += left.length;
          inReplay -= left.length;
        });
        waiting += left.length;
      }
      await unlink(file);
    }
    inReplay = 0;
    if (waiting === 0) o.log.info({ files: rotated.length }, 'journal replayed: every charge applied');
    return waiting;
  }

  const timer = setInterval(() => {
    if (!replaying) replaying = replayOnce().finally(() => (replaying = null));
  }, o.replayMs);
  timer.unref();
  const pendingAtStart = (() => {
    try {
      return statSync(o.file).size > 0;
    } catch {
      return false;
    }
  })();
  if (pendingAtStart || leftovers().length > 0) backlog = 1;

  return {
    get backlog() {
      return backlog + inReplay;
    },
    append: (req) =>
      locked(async () => {
        const h = await fileHandle();
        await h.appendFile(`${JSON.stringify(req)}\n`);
        await h.datasync();
        backlog++;
      }),
    replay: () => (replaying ??= replayOnce().finally(() => (replaying = null))),
    async close() {
      clearInterval(timer);
      await replaying;
      await locked(async () => {
        if (handle) await (await handle).close();
        handle = null;
      });
    },
  };
}
