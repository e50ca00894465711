// The embedded store's history and usage index: per-day rollups per user and for the whole
// deployment, and each user's usage per period and dimension (what Redis keeps in sorted sets).
import { periodOf } from '../limits/windows.js';
import type { Dimension } from '../limits/vocabulary.js';
import { firstK } from './top-k.js';
import { addRollup, emptyRollup, NO_MODEL, ROLLUP_DIMS, type DayUsage, type Rollup } from './rollup.js';
import type { Amounts, HistoryQuery, Ranking, RankingQuery } from './types.js';

interface Day { totals: Rollup; models: Map<string, Rollup> }

/** Plain data and Maps, so the durable store's snapshots keep it like the rest of the state. */
export interface UsageState {
  days: Map<string | null, Map<number, Day>>; // user (null: the deployment) -> day start -> rollup
  index: Map<string, Map<string, number>>; // window:start:dimension -> user -> usage
}

export const emptyUsageState = (): UsageState => ({ days: new Map(), index: new Map() });

const DAY = 86_400_000;
const INDEX_KEPT_MS = 40 * DAY; // past the period's start: this month and last, as Redis keeps them

export interface UsageBook {
  /** After a settle: the day's rollup, and the user's usage this day and month in the index. */
  settled(userId: string, now: number, add: Rollup, model: string | null, amounts: Amounts): void;
  /** After a counter reset: the user's standing in these dimensions is zero again. */
  reset(userId: string, now: number, windows: ReadonlyArray<{ dimension: Dimension; window: string }>): void;
  history(q: HistoryQuery): DayUsage[];
  ranking(q: RankingQuery): Ranking;
  prune(now: number): void;
}

export function createUsageBook(state: UsageState, historyDays: number): UsageBook {
  const { days, index } = state;

  const addDay = (owner: string | null, start: number, add: Rollup, model: string) => {
    let byDay = days.get(owner);
    if (!byDay) days.set(owner, (byDay = new Map()));
    let d = byDay.get(start);
    if (!d) byDay.set(start, (d = { totals: emptyRollup(), models: new Map() }));
    addRollup(d.totals, add);
    let m = d.models.get(model);
    if (!m) d.models.set(model, (m = emptyRollup()));
    addRollup(m, add);
  };
  const bump = (key: string, userId: string, amount: number) => {
    let set = index.get(key);
    if (!set) index.set(key, (set = new Map()));
    set.set(userId, (set.get(userId) ?? 0) + amount);
  };

  return {
    settled(userId, now, add, model, amounts) {
      const start = periodOf('day', now).start;
      addDay(userId, start, add, model ?? NO_MODEL);
      addDay(null, start, add, model ?? NO_MODEL);
      const monthStart = periodOf('month', now).start;
      for (const dim of ROLLUP_DIMS) {
        const amount = amounts[dim] ?? 0;
        if (amount === 0) continue;
        bump(`day:${start}:${dim}`, userId, amount);
        bump(`month:${monthStart}:${dim}`, userId, amount);
      }
    },
    reset(userId, now, windows) {
      for (const { dimension, window } of windows) {
        if (window !== 'day' && window !== 'month') continue;
        index.get(`${window}:${periodOf(window, now).start}:${dimension}`)?.set(userId, 0);
      }
    },
    history({ userId, from, to }) {
      const byDay = days.get(userId);
      if (!byDay) return [];
      const out: DayUsage[] = [];
      for (let d = periodOf('day', from).start; d <= to; d += DAY) {
        const day = byDay.get(d);
        if (day) out.push({ day: d, totals: { ...day.totals }, models: Object.fromEntries([...day.models].map(([m, r]) => [m, { ...r }])) });
      }
      return out;
    },
    ranking({ window, dimension, at, offset, limit, order }) {
      const set = index.get(`${window}:${periodOf(window, at).start}:${dimension}`);
      if (!set) return { total: 0, entries: [] };
      const sign = order === 'desc' ? -1 : 1;
      // Ties in user id order, as a Redis sorted set orders them (reversed for desc).
      const cmp = (a: [string, number], b: [string, number]) => sign * (a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      // The first pages from a bounded heap (O(n log k)); deep pages sort everything, no slower.
      const k = offset + limit;
      const page = (k * 4 < set.size ? firstK(set, k, cmp) : [...set].sort(cmp)).slice(offset, k);
      return { total: set.size, entries: page.map(([userId, value]) => ({ userId, value })) };
    },
    prune(now) {
      const oldest = periodOf('day', now).start - historyDays * DAY;
      for (const byDay of days.values()) for (const d of byDay.keys()) if (d < oldest) byDay.delete(d);
      for (const key of index.keys()) if (Number(key.split(':')[1]) + INDEX_KEPT_MS < now) index.delete(key);
    },
  };
}
