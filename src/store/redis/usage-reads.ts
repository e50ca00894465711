// Reads of history and of the usage index: a hash per day (O(days)), a sorted set per period and
// dimension (O(log n + offset + limit)).
import { periodOf } from '../../limits/windows.js';
import { historyKey, indexPrefix, ROLLUP_FIELD, usageIndexKey, userPrefix, windowKey } from '../keys.js';
import { dayFromHashes } from '../rollup.js';
import type { HistoryQuery, RankingQuery, Store } from '../types.js';
import type { ScriptedRedis } from './scripts.js';

const DAY = 86_400_000;

/** A user's rollup fields (`h:<model>`) among its day hash's counters, by model. */
const rollups = (hash: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(hash).filter(([f]) => f.startsWith(ROLLUP_FIELD)).map(([f, v]) => [f.slice(ROLLUP_FIELD.length), v]));

export function usageReads(redis: ScriptedRedis, firstConnect: () => Promise<void>): Pick<Store, 'history' | 'usageRanking'> {
  /** A user's day: the fields `h:<model>` of its UTC day's window hash, and the `hist:` hash an earlier build kept it in. */
  async function userDay(userId: string, d: number) {
    const [now, before] = await Promise.all([redis.hgetall(windowKey(userId, 'day', d)), redis.hgetall(historyKey(userPrefix(userId), d))]);
    return dayFromHashes(d, [rollups(now), before]);
  }

  async function history(q: HistoryQuery) {
    await firstConnect();
    const { userId } = q;
    const days: number[] = [];
    for (let d = periodOf('day', q.from).start; d <= q.to; d += DAY) days.push(d);
    const usage = await Promise.all(days.map(async (d) => (userId === null
      ? dayFromHashes(d, [await redis.hgetall(historyKey(indexPrefix, d))])
      : userDay(userId, d))));
    return usage.filter((u) => Object.keys(u.models).length > 0);
  }

  async function usageRanking(q: RankingQuery) {
    await firstConnect();
    const key = usageIndexKey(q.window, periodOf(q.window, q.at).start, q.dimension);
    const [total, flat] = await Promise.all([redis.zcard(key), q.order === 'desc'
      ? redis.zrange(key, String(q.offset), String(q.offset + q.limit - 1), 'REV', 'WITHSCORES')
      : redis.zrange(key, String(q.offset), String(q.offset + q.limit - 1), 'WITHSCORES')]);
    const entries = [];
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ userId: flat[i] as string, value: Number(flat[i + 1]) });
    return { total, entries };
  }

  return { history, usageRanking };
}
