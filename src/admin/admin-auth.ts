// Bearer auth for the admin API, compared in constant time. With no admin key configured the
// admin API is off.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-types.js';
import { bearerToken } from '../auth/api-keys.js';
import { GatewayError, invalidApiKey } from '../core/errors.js';

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

export function adminAuth(adminKey: string | null): MiddlewareHandler<AppEnv> {
  const expected = adminKey === null ? null : sha(adminKey);
  return async function authenticateAdmin(c, next) {
    if (!expected) throw new GatewayError({ status: 404, code: 'admin_disabled', message: 'the admin API is disabled (set TOLLGATE_ADMIN_KEY)' });
    const token = bearerToken(c.req.header('authorization'));
    if (!token || !timingSafeEqual(sha(token), expected)) {
      throw invalidApiKey('a valid admin key is required');
    }
    await next();
  };
}
