// The admin API: users and their limit overrides, keys (shown once, stored as SHA-256), and the
// default limits. Bad input is a 400 naming the field; nothing is half-applied.
import { Hono, type Context } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { digestKey, newApiKey } from '../auth/api-keys.js';
import { badRequest, GatewayError, userNotFound } from '../core/errors.js';
import type { UserRecord } from '../store/types.js';
import { adminAuth } from './admin-auth.js';
import { userView } from './admin-views.js';
import { addEventRoutes } from './events-routes.js';
import { addMoreAdminRoutes } from './more-routes.js';
import { addGrantRoutes } from './grants.js';
import { addServiceKeyRoutes } from './service-keys.js';
import { asObject, onlyFields, parseAnchorDay, parseKeyLimits, parseLimits, parseModels, parseTimeZone, parseUserId } from './validate.js';

async function jsonBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return asObject(JSON.parse(text), 'request body');
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw badRequest('request body is not valid JSON', null, e);
  }
}

const view = userView;

export function createAdminRoutes(app: AppContext): Hono<AppEnv> {
  const { store, clock, principals } = app;
  const admin = new Hono<AppEnv>();
  admin.use('*', adminAuth(app.config.admin_key));

  const planOf = (value: unknown): string | null | undefined => {
    if (value === undefined || value === null) return value;
    if (typeof value !== 'string' || !Object.hasOwn(app.config.plans, value)) {
      throw badRequest(`'plan' must be null or one of the configured plans: ${Object.keys(app.config.plans).join(', ') || '(none)'}`, 'plan');
    }
    return value;
  };

  const userOr404 = async (id: string): Promise<UserRecord> => {
    const user = await store.getUser(parseUserId(id));
    if (!user) throw userNotFound(id);
    return user;
  };

  admin.post('/users', async (c) => {
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
    return c.json(view(user), 201);
  });

  admin.get('/users/:id', async (c) => {
    const user = await userOr404(c.req.param('id'));
    const cal = principals.calendarOf(user);
    return c.json({ ...view(user), effective_limits: await principals.limitsOf(user),
      effective_calendar: { time_zone: cal.timeZone, month_anchor_day: cal.monthAnchorDay } });
  });

  admin.patch('/users/:id', async (c) => {
    const user = await userOr404(c.req.param('id'));
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
    return c.json(view(next));
  });

  admin.post('/users/:id/keys', async (c) => {
    const user = await userOr404(c.req.param('id'));
    const body = await jsonBody(c);
    onlyFields(body, ['name', 'expires_at', 'limits'], '');
    const limits = parseKeyLimits(body.limits);
    if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length > 128)) throw badRequest("'name' must be a string of at most 128 characters", 'name');
    let expiresAt: number | null = null;
    if (body.expires_at !== undefined && body.expires_at !== null) {
      expiresAt = typeof body.expires_at === 'string' ? Date.parse(body.expires_at) : NaN;
      if (!Number.isFinite(expiresAt) || expiresAt <= clock.now()) throw badRequest("'expires_at' must be an ISO 8601 time in the future", 'expires_at');
    }
    const { key, keyId, prefix } = newApiKey();
    const createdAt = clock.now();
    await store.putKey(digestKey(key), { keyId, userId: user.id, prefix, name: (body.name as string | undefined) ?? null, createdAt, expiresAt,
      ...(Object.keys(limits).length > 0 ? { limits } : {}) });
    return c.json({ key, keyId, prefix, userId: user.id, createdAt: new Date(createdAt).toISOString(), expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(), limits }, 201);
  });

  admin.get('/settings', async (c) => c.json({ limits: { ...app.config.limits, ...(await store.getSettings()) } }));

  admin.put('/settings', async (c) => {
    const body = await jsonBody(c);
    onlyFields(body, ['limits'], '');
    await store.putSettings(parseLimits(body.limits));
    principals.forget();
    return c.json({ limits: { ...app.config.limits, ...(await store.getSettings()) } });
  });

  addMoreAdminRoutes(admin, app, jsonBody);
  addServiceKeyRoutes(admin, app, jsonBody);
  addGrantRoutes(admin, app, jsonBody);
  addEventRoutes(admin, app);
  return admin;
}
