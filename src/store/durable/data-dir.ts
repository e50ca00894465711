// The embedded store's directory: one process at a time (a lock file naming its pid), and the
// generations of snapshot and log in it. Snapshot N holds the state up to where log N begins.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The data directory cannot be used: named file, what is wrong, what to do. Startup stops on it. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

const held = new Set<string>();

function running(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates the directory if need be and takes its lock. A lock left by a process that is no longer
 * running (a crash, a SIGKILL) is taken over; `warn` says so.
 */
export function lockDataDir(dir: string, warn: (msg: string) => void): () => void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'LOCK');
  const key = path.resolve(file);
  if (held.has(key)) throw new DataDirError(`data directory ${dir} is already open in this process (lock file ${file})`);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid !== process.pid && running(pid)) {
        throw new DataDirError(`data directory ${dir} is in use by another Tollgate (pid ${pid}, lock file ${file}): two processes would overwrite each other's log. Stop it first, or set TOLLGATE_DATA_DIR to another directory`);
      }
      warn(`data directory ${dir}: taking over the lock of pid ${pid}, which is no longer running (it stopped without closing the store)`);
      unlinkSync(file);
    }
  }
  held.add(key);
  return () => {
    held.delete(key);
    try {
      unlinkSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

export const snapshotFile = (dir: string, gen: number): string => path.join(dir, `snapshot-${gen}.jsonl`);
export const logFile = (dir: string, gen: number): string => path.join(dir, `log-${gen}.jsonl`);

/** Generations present: the newest snapshot (0 = none) and every log from it on, oldest first. */
export function generations(dir: string): { snapshot: number; logs: number[]; stale: string[] } {
  const snaps: number[] = [];
  const logs: number[] = [];
  const stale: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^(snapshot|log)-(\d+)\.jsonl(\.tmp)?$/.exec(name);
    if (!m) continue;
    if (m[3]) stale.push(path.join(dir, name));
    else (m[1] === 'snapshot' ? snaps : logs).push(Number(m[2]));
  }
  const snapshot = Math.max(0, ...snaps);
  for (const g of snaps) if (g < snapshot) stale.push(snapshotFile(dir, g));
  for (const g of logs) if (g < snapshot) stale.push(logFile(dir, g));
  return { snapshot, logs: logs.filter((g) => g >= snapshot).sort((a, b) => a - b), stale };
}
