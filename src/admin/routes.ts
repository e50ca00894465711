// The admin API, one sub-app per resource, behind the admin key: users (and their grants), keys
// (user keys, service keys), usage (and history), the ledger, events, settings. Bad input is a
// 400 naming the field; nothing is half-applied.
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import type { FailureLimiter } from '../auth/failure-limiter.js';
import { adminAuth } from './admin-auth.js';
import { createEventRoutes } from './events.js';
import { createGrantRoutes } from './grants.js';
import { createKeyRoutes } from './keys.js';
import { createLedgerRoutes } from './ledger.js';
import { createSettingsRoutes } from './settings.js';
import { createUsageRoutes } from './usage.js';
import { createUserRoutes } from './users.js';

/** `failures`: the bad-key limiter the user API counts on too. */
export function createAdminRoutes(app: AppContext, failures: FailureLimiter): Hono<AppEnv> {
  const admin = new Hono<AppEnv>();
  admin.use('*', adminAuth(app.config.admin_key, failures));
  admin.route('/users', createUserRoutes(app));
  admin.route('/users', createGrantRoutes(app));
  admin.route('/', createKeyRoutes(app));
  admin.route('/usage', createUsageRoutes(app));
  admin.route('/', createLedgerRoutes(app));
  admin.route('/events', createEventRoutes(app));
  admin.route('/settings', createSettingsRoutes(app));
  return admin;
}
