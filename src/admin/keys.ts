// Keys: a user's keys (POST|GET /admin/users/:id/keys; shown once, stored as SHA-256), service
// keys that act for the end user each request names (POST|GET /admin/service-keys, DESIGN
// "Service keys"), a key's own limits (PATCH /admin/keys/:keyId) and revocation of any key
// (DELETE /admin/keys/:keyId).
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { digestKey, newApiKey } from '../auth/api-keys.js';
import { badRequest, notFound } from '../core/errors.js';
import { SERVICE_KEY_OWNER } from '../store/types.js';
import { keyView } from './admin-views.js';
import { jsonBody } from './json-body.js';
import { userOr404 } from './users.js';
import { onlyFields, parseKeyLimits, parseUserId } from './validate.js';

export function createKeyRoutes(app: AppContext): Hono<AppEnv> {
  const { store, clock, principals } = app;
  const keys = new Hono<AppEnv>();

  keys.post('/users/:id/keys', async (c) => {
    const user = await userOr404(store, c.req.param('id'));
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

  keys.get('/users/:id/keys', async (c) => {
    await app.keyUse.flush(); // this gateway's uses not yet written
    return c.json({ keys: (await store.listKeys(parseUserId(c.req.param('id')))).map(keyView) });
  });

  keys.post('/service-keys', async (c) => {
    const b = await jsonBody(c);
    onlyFields(b, ['name'], '');
    if (typeof b.name !== 'string' || b.name.length === 0 || b.name.length > 128) throw badRequest("'name' must be a string of 1 to 128 characters", 'name');
    const { key, keyId, prefix } = newApiKey();
    const createdAt = clock.now();
    await store.putKey(digestKey(key), { keyId, userId: SERVICE_KEY_OWNER, prefix, name: b.name, createdAt, expiresAt: null, role: 'service' });
    return c.json({ key, keyId, prefix, name: b.name, role: 'service', createdAt: new Date(createdAt).toISOString() }, 201);
  });

  keys.get('/service-keys', async (c) => {
    await app.keyUse.flush();
    return c.json({ keys: (await store.listKeys(SERVICE_KEY_OWNER)).map(keyView) });
  });

  keys.patch('/keys/:keyId', async (c) => {
    const b = await jsonBody(c);
    onlyFields(b, ['limits'], '');
    const keyId = c.req.param('keyId');
    const patch = parseKeyLimits(b.limits);
    const key = await store.keyById(keyId);
    if (!key) throw notFound(`no key '${keyId}'`);
    // A service key's requests are its end users', each in its own slot: no one script could check a shared limit.
    if (key.role === 'service') throw badRequest("a service key has no limits of its own; set its end users' limits", 'limits');
    const limits: Record<string, number | null> = { ...key.limits, ...patch };
    for (const [name, v] of Object.entries(limits)) if (v === null) delete limits[name];
    const next = await store.setKeyLimits(keyId, limits);
    if (!next) throw notFound(`no key '${keyId}'`);
    principals.forget();
    return c.json({ ...keyView(next), limits: next.limits ?? {} });
  });

  keys.delete('/keys/:keyId', async (c) => {
    if (!(await store.revokeKey(c.req.param('keyId')))) throw notFound(`no key '${c.req.param('keyId')}'`);
    principals.forget();
    return c.body(null, 204);
  });
  return keys;
}
