// The rest of the admin plane: paged users, deletion, keys and revocation, and counter resets;
// usage and history are in usage-routes.ts, the ledger in ledger-routes.ts.
import type { Context, Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { notFound, userNotFound } from '../core/errors.js';
import { calendarFor } from '../limits/user-calendar.js';
import { USER_WINDOWS } from '../limits/vocabulary.js';
import type { LedgerRecord } from '../store/types.js';
import { keyView, userView } from './admin-views.js';
import { addLedgerRoutes } from './ledger-routes.js';
import { addUsageRoutes, checksFor, windowParam } from './usage-routes.js';
import { intParam } from './params.js';
import { onlyFields, parseUserId } from './validate.js';

export function addMoreAdminRoutes(admin: Hono<AppEnv>, app: AppContext, body: (c: Context<AppEnv>) => Promise<Record<string, unknown>>): void {
  const { store, principals, clock } = app;

  admin.get('/users', async (c) => {
    const limit = intParam(c.req.query('limit'), 'limit', 100, 500);
    const page = await store.listUsers(c.req.query('cursor') ?? null, limit);
    return c.json({ users: page.users.map(userView), next: page.next });
  });

  admin.delete('/users/:id', async (c) => {
    if (!(await store.deleteUser(parseUserId(c.req.param('id'))))) throw userNotFound(c.req.param('id'));
    principals.forget();
    return c.body(null, 204);
  });

  admin.get('/users/:id/keys', async (c) => {
    await app.keyUse.flush(); // this gateway's uses not yet written
    return c.json({ keys: (await store.listKeys(parseUserId(c.req.param('id')))).map(keyView) });
  });

  admin.delete('/keys/:keyId', async (c) => {
    if (!(await store.revokeKey(c.req.param('keyId')))) throw notFound(`no key '${c.req.param('keyId')}'`);
    principals.forget();
    return c.body(null, 204);
  });

  admin.post('/users/:id/reset', async (c) => {
    const id = parseUserId(c.req.param('id'));
    const user = await store.getUser(id);
    if (!user) throw userNotFound(id);
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

  addUsageRoutes(admin, app);
  addLedgerRoutes(admin, app);
}
