// The rest of the admin plane: paged users, deletion, keys and revocation, per-user usage for a
// window, and counter resets; the ledger is in ledger-routes.ts.
import type { Context, Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { badRequest, GatewayError } from '../http/errors.js';
import { calendarFor } from '../limits/user-calendar.js';
import { LIMIT_NAMES, USER_WINDOWS, type Dimension, type Window } from '../limits/vocabulary.js';
import type { CounterCheck, LedgerRecord } from '../store/types.js';
import { keyView, userView } from './admin-views.js';
import { addLedgerRoutes } from './ledger-routes.js';
import { intParam } from './params.js';
import { onlyFields, parseUserId } from './validate.js';

// `requests` counts every request sent upstream, failed or not; `failed_requests` those that failed.
const DIMS: readonly Dimension[] = ['requests', 'messages', 'tokens', 'credits', 'spend_micros', 'failed_requests'];
const MAX_USERS_SCANNED = 10_000;

function windowParam(v: string | undefined, allowed: readonly Window[]): Window {
  if (v === undefined || !(allowed as readonly string[]).includes(v)) throw badRequest(`'window' must be one of ${allowed.join(', ')}`, 'window');
  return v as Window;
}

const checksFor = (window: Window, limits: Readonly<Record<string, number>>): CounterCheck[] =>
  DIMS.map((dimension) => {
    const name = LIMIT_NAMES.find((l) => l.dimension === dimension && l.window === window)?.name;
    return { dimension, window, limit: name !== undefined ? (limits[name] ?? null) : null, fixed: 0, perOutput: 0 };
  });

export function addMoreAdminRoutes(admin: Hono<AppEnv>, app: AppContext, body: (c: Context<AppEnv>) => Promise<Record<string, unknown>>): void {
  const { store, principals, clock } = app;

  async function allUsers() {
    const users = [];
    let cursor: string | null = null;
    do {
      const page = await store.listUsers(cursor, 500);
      users.push(...page.users);
      cursor = page.next;
    } while (cursor !== null && users.length < MAX_USERS_SCANNED);
    return users;
  }

  admin.get('/users', async (c) => {
    const limit = intParam(c.req.query('limit'), 'limit', 100, 500);
    const page = await store.listUsers(c.req.query('cursor') ?? null, limit);
    return c.json({ users: page.users.map(userView), next: page.next });
  });

  admin.delete('/users/:id', async (c) => {
    if (!(await store.deleteUser(parseUserId(c.req.param('id'))))) throw new GatewayError({ status: 404, code: 'user_not_found', message: `no user '${c.req.param('id')}'` });
    principals.forget();
    return c.body(null, 204);
  });

  admin.get('/users/:id/keys', async (c) => c.json({ keys: (await store.listKeys(parseUserId(c.req.param('id')))).map(keyView) }));

  admin.delete('/keys/:keyId', async (c) => {
    if (!(await store.revokeKey(c.req.param('keyId')))) throw new GatewayError({ status: 404, code: 'not_found', message: `no key '${c.req.param('keyId')}'` });
    principals.forget();
    return c.body(null, 204);
  });

  admin.post('/users/:id/reset', async (c) => {
    const id = parseUserId(c.req.param('id'));
    const user = await store.getUser(id);
    if (!user) throw new GatewayError({ status: 404, code: 'user_not_found', message: `no user '${id}'` });
    const b = await body(c as unknown as Context<AppEnv>);
    onlyFields(b, ['window'], '');
    const window = windowParam(typeof b.window === 'string' ? b.window : undefined, USER_WINDOWS);
    const record: LedgerRecord = { requestId: `reset_${window}_${clock.now()}`, time: clock.now(), user: id, model: null, conversation: null,
      promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'reset', estimated: false };
    // The user's counters, and those of its keys' own limits (a key left blocked would surprise).
    const keyIds = (await store.listKeys(id)).filter((k) => k.limits).map((k) => k.keyId);
    const checks = [checksFor(window, {}), ...keyIds.map((keyId) => checksFor(window, {}).map((ch) => ({ ...ch, keyId })))].flat();
    await store.resetCounters(id, checks, record, calendarFor(principals.calendarOf(user), clock.now()));
    return c.json({ user: id, window, reset: true });
  });

  admin.get('/usage', async (c) => {
    const window = windowParam(c.req.query('window'), ['day', 'month']);
    const sort = c.req.query('sort') ?? 'id';
    if (sort !== 'id' && !(DIMS as readonly string[]).includes(sort)) throw badRequest(`'sort' must be id or one of ${DIMS.join(', ')}`, 'sort');
    const order = c.req.query('order') ?? (sort === 'id' ? 'asc' : 'desc');
    if (order !== 'asc' && order !== 'desc') throw badRequest("'order' must be asc or desc", 'order');
    const limit = intParam(c.req.query('limit'), 'limit', 100, 1000);
    const offset = c.req.query('offset') === '0' ? 0 : intParam(c.req.query('offset'), 'offset', 0, MAX_USERS_SCANNED);
    const rows = await Promise.all((await allUsers()).map(async (u) => {
      const limits = await principals.limitsOf(u);
      const states = await store.peek({ userId: u.id, checks: checksFor(window, limits), parallelLimit: null, conversationId: null,
        calendar: calendarFor(principals.calendarOf(u), clock.now()) });
      // When this user's window ends, in their own zone and month anchor.
      const ends = states[0]?.resetsAt ?? null;
      const row: Record<string, unknown> = { id: u.id, disabled: u.disabled, resets_at: ends === null ? null : new Date(ends).toISOString() };
      const lim: Record<string, number | null> = {};
      for (const s of states) {
        row[s.dimension] = s.used;
        if (s.dimension !== 'failed_requests') lim[s.dimension] = s.limit >= 0 ? s.limit : null;
      }
      return { ...row, limits: lim };
    }));
    const key = (r: Record<string, unknown>) => r[sort] as string | number;
    rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (order === 'asc' ? 1 : -1));
    return c.json({ window, total: rows.length, users: rows.slice(offset, offset + limit) });
  });
  addLedgerRoutes(admin, app);
}
