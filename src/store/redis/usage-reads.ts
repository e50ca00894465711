// Reads of history and of the usage index: a hash per day (O(days)), a sorted set per period and
// dimension (O(log n + offset + limit)).
import { periodOf } from '../../limits/windows.js';
import { historyKey, indexPrefix, usageIndexKey, userPrefix } from '../keys.js';
import { dayFromHash } from '../rollup.js';
import type { HistoryQuery, RankingQuery, Store } from '../types.js';
import type { ScriptedRedis } from './scripts.js';

const DAY = 86_400_000;

export function usageReads(redis: ScriptedRedis, firstConnect: () => Promise<void>): Pick<Store, 'history' | 'usageRanking'> {
  async function history(q: HistoryQuery) {
    await firstConnect();
    const prefix = q.userId === null ? indexPrefix : userPrefix(q.userId);
    const days: number[] = [];
    for (let d = periodOf('day', q.from).start; d <= q.to; d += DAY) days.push(d);
    const hashes = await Promise.all(days.map((d) => redis.hgetall(historyKey(prefix, d))));
    return days.flatMap((d, i) => (Object.keys(hashes[i] ?? {}).length > 0 ? [dayFromHash(d, hashes[i] as Record<string, string>)] : []));
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
