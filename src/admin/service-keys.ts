// Service keys: keys that belong to no user and act for the end user each request names
// (DESIGN "Service keys"). Made here, listed here, revoked with DELETE /admin/keys/:keyId like any key.
// And a key's own limits: PATCH /admin/keys/:keyId {"limits"}.
import type { Context, Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { digestKey, newApiKey } from '../auth/api-keys.js';
import { badRequest, notFound } from '../core/errors.js';
import { SERVICE_KEY_OWNER } from '../store/types.js';
import { keyView } from './admin-views.js';
import { onlyFields, parseKeyLimits } from './validate.js';

export function addServiceKeyRoutes(admin: Hono<AppEnv>, app: AppContext, body: (c: Context<AppEnv>) => Promise<Record<string, unknown>>): void {
  admin.post('/service-keys', async (c) => {
    const b = await body(c);
    onlyFields(b, ['name'], '');
    if (typeof b.name !== 'string' || b.name.length === 0 || b.name.length > 128) throw badRequest("'name' must be a string of 1 to 128 characters", 'name');
    const { key, keyId, prefix } = newApiKey();
    const createdAt = app.clock.now();
    await app.store.putKey(digestKey(key), { keyId, userId: SERVICE_KEY_OWNER, prefix, name: b.name, createdAt, expiresAt: null, role: 'service' });
    return c.json({ key, keyId, prefix, name: b.name, role: 'service', createdAt: new Date(createdAt).toISOString() }, 201);
  });

  admin.get('/service-keys', async (c) => {
    await app.keyUse.flush();
    return c.json({ keys: (await app.store.listKeys(SERVICE_KEY_OWNER)).map(keyView) });
  });

  admin.patch('/keys/:keyId', async (c) => {
    const b = await body(c);
    onlyFields(b, ['limits'], '');
    const keyId = c.req.param('keyId');
    const patch = parseKeyLimits(b.limits);
    const key = await app.store.keyById(keyId);
    if (!key) throw notFound(`no key '${keyId}'`);
    // A service key's requests are its end users', each in its own slot: no one script could check a shared limit.
    if (key.role === 'service') throw badRequest("a service key has no limits of its own; set its end users' limits", 'limits');
    const limits: Record<string, number | null> = { ...key.limits, ...patch };
    for (const [name, v] of Object.entries(limits)) if (v === null) delete limits[name];
    const next = await app.store.setKeyLimits(keyId, limits);
    if (!next) throw notFound(`no key '${keyId}'`);
    app.principals.forget();
    return c.json({ ...keyView(next), limits: next.limits ?? {} });
  });
}
