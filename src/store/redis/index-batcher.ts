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

  /**
   * The day and month of the latest settle: every settle of that UTC day has the same ones, so they
   * are worked out again only when a settle's time leaves that day.
   */
  let span: { readonly day: number; readonly dayEnd: number; readonly month: number; readonly monthEnd: number | null; readonly key: string } | null = null;
  const spanOf = (at: number) => {
    if (!span || at < span.day || at >= span.dayEnd) {
      const day = periodOf('day', at);
      const month = periodOf('month', at);
      span = { day: day.start, dayEnd: day.start + DAY, month: month.start, monthEnd: month.end, key: `${day.start}:` };
    }
    return span;
  };

  return {
    // A user's or model's second settle of a day adds to the entry in place: no entry is made only to be merged.
    add(user, model, at, amounts, rollup) {
      const s = spanOf(at);
      const userKey = s.key + user;
      const entry = users.get(userKey);
      if (entry) {
        for (let i = 0; i < ROLLUP_DIMS.length; i++) entry.amounts[i] = (entry.amounts[i] ?? 0) + (amounts[ROLLUP_DIMS[i] as keyof Amounts] ?? 0);
      } else {
        users.set(userKey, { user, day: s.day, month: s.month, dayTtl: s.dayEnd + retentionMs('day') - at,
          monthTtl: (s.monthEnd ?? at) + retentionMs('month') - at, amounts: ROLLUP_DIMS.map((d) => amounts[d] ?? 0) });
      }
      const modelKey = s.key + model;
      const totals = models.get(modelKey);
      if (totals) addRollup(totals.rollup, rollup);
      else models.set(modelKey, { day: s.day, model, ttl: s.dayEnd + historyMs - at, rollup: { ...rollup } });
      schedule();
    },
    flush,
    async close() {
      await flush();
    },
  };
}
