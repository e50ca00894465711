// /admin/users: users and their limit overrides, plan, calendar and allowed models; paged
// listing, deletion, and counter resets. Their keys are keys.ts', their grants grants.ts'.
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { badRequest, GatewayError, userNotFound } from '../core/errors.js';
import { calendarFor } from '../limits/user-calendar.js';
import { USER_WINDOWS } from '../limits/vocabulary.js';
import type { LedgerRecord, Store, UserRecord } from '../store/types.js';
import { userView } from './admin-views.js';
import { jsonBody } from './json-body.js';
import { intParam } from './params.js';
import { checksFor, windowParam } from './usage.js';
import { onlyFields, parseAnchorDay, parseLimits, parseModels, parseTimeZone, parseUserId } from './validate.js';

export async function userOr404(store: Store, id: string): Promise<UserRecord> {
  const user = await store.getUser(parseUserId(id));
  if (!user) throw userNotFound(id);
  return user;
}

export function createUserRoutes(app: AppContext): Hono<AppEnv> {
  const { store, clock, principals } = app;
  const users = new Hono<AppEnv>();

  const planOf = (value: unknown): string | null | undefined => {
    if (value === undefined || value === null) return value;
    if (typeof value !== 'string' || !Object.hasOwn(app.config.plans, value)) {
      throw badRequest(`'plan' must be null or one of the configured plans: ${Object.keys(app.config.plans).join(', ') || '(none)'}`, 'plan');
    }
    return value;
  };

  users.post('/', async (c) => {
    const body = await jsonBody(c);
    onlyFields(body, ['id', 'limits', 'allowed_models', 'disabled', 'plan', 'time_zone', 'month_anchor_day'], '');
    const id = parseUserId(body.id);
    const plan = planOf(body.plan);
    const timeZone = parseTimeZone(body.time_zone);
    const monthAnchorDay = parseAnchorDay(body.month_anchor_day);
    const limits = parseLimits(body.limits);
    const allowedModels = parseModels(body.allowed_models) ?? null;
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean') throw badRequest("'disabled' must be a boolean", 'disabled');
    if (await store.getUser(id)) throw new GatewayError({ status: 409, code: 'user_exists', message: `user '${id}' exists` });
    const user: UserRecord = { id, limits, allowedModels, disabled: body.disabled === true, createdAt: clock.now(), ...(plan ? { plan } : {}),
      ...(timeZone ? { timeZone } : {}), ...(monthAnchorDay ? { monthAnchorDay } : {}) };
    await store.putUser(user);
    return c.json(userView(user), 201);
  });

  users.get('/', async (c) => {
    const limit = intParam(c.req.query('limit'), 'limit', 100, 500);
    const page = await store.listUsers(c.req.query('cursor') ?? null, limit);
    return c.json({ users: page.users.map(userView), next: page.next });
  });

  users.get('/:id', async (c) => {
    const user = await userOr404(store, c.req.param('id'));
    const cal = principals.calendarOf(user);
    return c.json({ ...userView(user), effective_limits: await principals.limitsOf(user),
      effective_calendar: { time_zone: cal.timeZone, month_anchor_day: cal.monthAnchorDay } });
  });

  users.patch('/:id', async (c) => {
    const user = await userOr404(store, c.req.param('id'));
    const body = await jsonBody(c);
    onlyFields(body, ['limits', 'allowed_models', 'disabled', 'plan', 'time_zone', 'month_anchor_day'], '');
    const plan = planOf(body.plan);
    const timeZone = parseTimeZone(body.time_zone);
    const monthAnchorDay = parseAnchorDay(body.month_anchor_day);
    const limits = { ...user.limits, ...parseLimits(body.limits) };
    for (const [k, v] of Object.entries(limits)) if (v === null) delete limits[k];
    const models = parseModels(body.allowed_models);
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean') throw badRequest("'disabled' must be a boolean", 'disabled');
    const next: UserRecord = {
      ...user, limits,
      allowedModels: models === undefined ? user.allowedModels : models,
      disabled: typeof body.disabled === 'boolean' ? body.disabled : user.disabled,
      plan: plan === undefined ? (user.plan ?? null) : plan,
      timeZone: timeZone === undefined ? (user.timeZone ?? null) : timeZone,
      monthAnchorDay: monthAnchorDay === undefined ? (user.monthAnchorDay ?? null) : monthAnchorDay,
    };
    await store.putUser(next);
    principals.forget();
    return c.json(userView(next));
  });

  users.delete('/:id', async (c) => {
    if (!(await store.deleteUser(parseUserId(c.req.param('id'))))) throw userNotFound(c.req.param('id'));
    principals.forget();
    return c.body(null, 204);
  });

  users.post('/:id/reset', async (c) => {
    const id = parseUserId(c.req.param('id'));
    const user = await store.getUser(id);
    if (!user) throw userNotFound(id);
    const b = await jsonBody(c);
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
  return users;
}
