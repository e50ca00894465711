// GET|PUT /admin/settings: the default limits (config's, overridden by what an admin set).
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { jsonBody } from './json-body.js';
import { onlyFields, parseLimits } from './validate.js';

export function createSettingsRoutes(app: AppContext): Hono<AppEnv> {
  const { store, principals } = app;
  const settings = new Hono<AppEnv>();

  settings.get('/', async (c) => c.json({ limits: { ...app.config.limits, ...(await store.getSettings()) } }));

  settings.put('/', async (c) => {
    const body = await jsonBody(c);
    onlyFields(body, ['limits'], '');
    await store.putSettings(parseLimits(body.limits));
    principals.forget();
    return c.json({ limits: { ...app.config.limits, ...(await store.getSettings()) } });
  });
  return settings;
}
