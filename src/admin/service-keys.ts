// Service keys: keys that belong to no user and act for the end user each request names
// (DESIGN "Service keys"). Made here, listed here, revoked with DELETE /admin/keys/:keyId like any key.
import type { Context, Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { digestKey, newApiKey } from '../auth/api-keys.js';
import { badRequest } from '../http/errors.js';
import { SERVICE_KEY_OWNER } from '../store/types.js';
import { keyView } from './admin-views.js';
import { onlyFields } from './validate.js';

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

  admin.get('/service-keys', async (c) => c.json({ keys: (await app.store.listKeys(SERVICE_KEY_OWNER)).map(keyView) }));
}
