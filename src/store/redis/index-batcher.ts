// The usage index and the deployment's rollup, gathered from applied settles and written about
// once a second in one script call (lua/index.lua) rather than once per request: a busy user's
// requests of that second become one increment, and the request path pays for none of it.
// Reads of the index or of the deployment's history flush first, so a gateway reads its own
// writes. A flush that fails is kept and tried again with the next one.
import { periodOf, retentionMs } from '../../limits/windows.js';
import { indexPrefix } from '../keys.js';
import { addRollup, ROLLUP_DIMS, ROLLUP_FIELDS, type Rollup } from '../rollup.js';
import type { Amounts } from '../types.js';
import type { ScriptedRedis } from './scripts.js';

const DAY = 86_400_000;
/** Entries per script call: a flush of many users is several calls, each a bounded pause for Redis. */
const CHUNK = 500;

interface UserEntry { user: string; day: number; month: number; dayTtl: number; monthTtl: number; amounts: number[] }
interface ModelEntry { day: number; model: string; ttl: number; rollup: Rollup }

export interface IndexBatcher {
  add(user: string, model: string, at: number, amounts: Amounts, rollup: Rollup): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createIndexBatcher(redis: ScriptedRedis, historyMs: number, flushMs = 1000): IndexBatcher {
  let users = new Map<string, UserEntry>();
  let models = new Map<string, ModelEntry>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function write(u: Map<string, UserEntry>, m: Map<string, ModelEntry>): Promise<void> {
    const ue = [...u.values()];
    const me = [...m.values()];
    for (let i = 0; i < Math.max(ue.length, me.length); i += CHUNK) {
      const part = ue.slice(i, i + CHUNK);
      const args: Array<string | number> = [part.length];
      for (const e of part) args.push(e.user, e.day, e.month, e.dayTtl, e.monthTtl, ...e.amounts);
      for (const e of me.slice(i, i + CHUNK)) args.push(e.day, e.model, e.ttl, ...ROLLUP_FIELDS.map((f) => e.rollup[f]));
      await redis.tgIndex(indexPrefix, ...args);
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    // One flush at a time; a flush asked for meanwhile waits for it and writes what came since.
    const previous = running ?? Promise.resolve();
    const next = previous.then(async () => {
      if (users.size === 0 && models.size === 0) return;
      const [u, m] = [users, models];
      users = new Map();
      models = new Map();
      try {
        await write(u, m);
      } catch (e) {
        // Kept for the next flush (merged with what came since), then reported.
        for (const [k, v] of u) merge(users, k, v);
        for (const [k, v] of m) mergeModel(k, v);
        schedule();
        throw e;
      }
    });
    // The chain waits for the previous flush whatever its result; the caller gets the result.
    const done: Promise<void> = next.catch(() => undefined).then(() => {
      if (running === done) running = null;
    });
    running = done;
    return next;
  }

  const schedule = () => {
    timer ??= setTimeout(() => void flush().catch(() => undefined), flushMs);
    timer.unref();
  };
  const merge = (into: Map<string, UserEntry>, k: string, e: UserEntry) => {
    const cur = into.get(k);
    if (!cur) into.set(k, e);
    else e.amounts.forEach((a, i) => (cur.amounts[i] = (cur.amounts[i] ?? 0) + a));
  };
  const mergeModel = (k: string, e: ModelEntry) => {
    const cur = models.get(k);
    if (!cur) models.set(k, e);
    else addRollup(cur.rollup, e.rollup);
  };

  return {
    add(user, model, at, amounts, rollup) {
      const day = periodOf('day', at);
      const month = periodOf('month', at);
      const dayEnd = day.start + DAY;
      merge(users, `${day.start}:${user}`, { user, day: day.start, month: month.start, dayTtl: dayEnd + retentionMs('day') - at,
        monthTtl: (month.end ?? at) + retentionMs('month') - at, amounts: ROLLUP_DIMS.map((d) => amounts[d] ?? 0) });
      mergeModel(`${day.start}:${model}`, { day: day.start, model, ttl: dayEnd + historyMs - at, rollup: { ...rollup } });
      schedule();
    },
    flush,
    async close() {
      await flush();
    },
  };
}
