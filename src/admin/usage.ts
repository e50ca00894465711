// /admin/usage: per-user usage of the current day or month. Sorted by a dimension it pages
// the usage index (a sorted set per period and dimension that settle keeps), so the first page
// of 100,000 users costs one index read and a page of rows; sorted by id it pages the users.
// /admin/usage/history: per-day rollups of a user, a model or the whole deployment (JSON, CSV).
import { Hono, type Context } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { badRequest } from '../core/errors.js';
import { calendarFor } from '../limits/user-calendar.js';
import { DIMENSIONS, isLimited, LIMIT_NAMES, type Dimension, type Window } from '../limits/vocabulary.js';
import { emptyRollup, ROLLUP_FIELDS, type DayUsage, type Rollup } from '../store/rollup.js';
import type { CounterCheck, UserRecord } from '../store/types.js';
import { csvTable } from './admin-views.js';
import { intParam } from './params.js';
import { parseUserId } from './validate.js';

// `requests` counts every request sent upstream, failed or not; `failed_requests` those that failed.
export const DIMS: readonly Dimension[] = DIMENSIONS;
const DAY = 86_400_000;

export function windowParam(v: string | undefined, allowed: readonly Window[]): Window {
  if (v === undefined || !(allowed as readonly string[]).includes(v)) throw badRequest(`'window' must be one of ${allowed.join(', ')}`, 'window');
  return v as Window;
}

export const checksFor = (window: Window, limits: Readonly<Record<string, number>>): CounterCheck[] =>
  DIMS.map((dimension) => {
    const name = LIMIT_NAMES.find((l) => l.dimension === dimension && l.window === window)?.name;
    return { dimension, window, limit: name !== undefined ? (limits[name] ?? null) : null, fixed: 0, perOutput: 0 };
  });

/** A UTC day as `YYYY-MM-DD`, or a time; the start of its day in ms. */
function dayParam(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const ms = /^\d{4}-\d\d-\d\d$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw badRequest(`'${name}' must be a date (YYYY-MM-DD) or an ISO 8601 time`, name);
  return Math.floor(ms / DAY) * DAY;
}

const dayRow = (d: DayUsage, model: string | undefined) => {
  const r: Rollup = model === undefined ? d.totals : (d.models[model] ?? emptyRollup());
  return { date: new Date(d.day).toISOString().slice(0, 10), ...r, ...(model === undefined ? { models: d.models } : {}) };
};

export function createUsageRoutes(app: AppContext): Hono<AppEnv> {
  const { store, principals, clock } = app;
  const usage = new Hono<AppEnv>();

  const row = async (u: UserRecord, window: Window) => {
    const limits = await principals.limitsOf(u);
    const states = await store.peek({ userId: u.id, checks: checksFor(window, limits), parallelLimit: null, conversationId: null,
      calendar: calendarFor(principals.calendarOf(u), clock.now()) });
    // When this user's window ends, in their own zone and month anchor.
    const ends = states[0]?.resetsAt ?? null;
    const out: Record<string, unknown> = { id: u.id, disabled: u.disabled, resets_at: ends === null ? null : new Date(ends).toISOString() };
    const lim: Record<string, number | null> = {};
    for (const s of states) {
      out[s.dimension] = s.used;
      if (s.dimension !== 'parallel' && isLimited(s.dimension)) lim[s.dimension] = s.limit >= 0 ? s.limit : null;
    }
    return { ...out, limits: lim };
  };

  usage.get('/', async (c) => {
    const window = windowParam(c.req.query('window'), ['day', 'month']);
    const sort = c.req.query('sort') ?? 'id';
    if (sort !== 'id' && !(DIMS as readonly string[]).includes(sort)) throw badRequest(`'sort' must be id or one of ${DIMS.join(', ')}`, 'sort');
    const order = c.req.query('order') ?? (sort === 'id' ? 'asc' : 'desc');
    if (order !== 'asc' && order !== 'desc') throw badRequest("'order' must be asc or desc", 'order');
    const limit = intParam(c.req.query('limit'), 'limit', 100, 1000);
    if (sort === 'id') {
      if (order === 'desc') throw badRequest("sorted by id, 'order' is asc (page on with 'cursor')", 'order');
      const page = await store.listUsers(c.req.query('cursor') ?? null, limit);
      return c.json({ window, users: await Promise.all(page.users.map((u) => row(u, window))), next: page.next });
    }
    // Ranked, the cursor is the offset of the next page (`next`, like the id order's; `offset` works too).
    const from = c.req.query('cursor') ?? c.req.query('offset');
    const offset = from === '0' ? 0 : intParam(from, c.req.query('cursor') !== undefined ? 'cursor' : 'offset', 0, 1_000_000);
    const ranking = await store.usageRanking({ window: window as 'day' | 'month', dimension: sort as Dimension, at: clock.now(), offset, limit, order });
    const users = (await Promise.all(ranking.entries.map((e) => store.getUser(e.userId)))).filter((u): u is UserRecord => u !== null);
    const next = offset + ranking.entries.length < ranking.total && ranking.entries.length > 0 ? String(offset + ranking.entries.length) : null;
    return c.json({ window, total: ranking.total, users: await Promise.all(users.map((u) => row(u, window))), next });
  });

  const history = async (c: Context<AppEnv>) => {
    const granularity = c.req.query('granularity') ?? 'day';
    if (granularity !== 'day') throw badRequest("'granularity' must be day", 'granularity');
    const userQ = c.req.query('user');
    const user = userQ === undefined ? null : parseUserId(userQ, 'user');
    const model = c.req.query('model');
    const today = Math.floor(clock.now() / DAY) * DAY;
    const to = dayParam(c.req.query('to'), 'to', today);
    const from = dayParam(c.req.query('from'), 'from', to - 29 * DAY);
    const maxDays = app.config.store.history_days + 1;
    if (from > to || (to - from) / DAY + 1 > maxDays) throw badRequest(`'from' must be on or before 'to', at most ${maxDays} days apart`, 'from');
    const days = (await store.history({ userId: user, from, to })).map((d) => dayRow(d, model));
    return { user, model: model ?? null, from: new Date(from).toISOString().slice(0, 10), to: new Date(to).toISOString().slice(0, 10), days };
  };
  const csv = (days: ReadonlyArray<Record<string, unknown>>) => csvTable(['date', ...ROLLUP_FIELDS], days);
  usage.get('/history.csv', async (c) => c.body(csv((await history(c)).days), 200, { 'content-type': 'text/csv; charset=utf-8' }));
  usage.get('/history', async (c) => {
    const h = await history(c);
    if (c.req.header('accept')?.includes('text/csv')) return c.body(csv(h.days), 200, { 'content-type': 'text/csv; charset=utf-8' });
    return c.json(h);
  });
  return usage;
}
