// Bearer auth for the admin API, compared in constant time. With no admin key configured the
// admin API is off. Bad admin keys count against the address with bad user keys (the same
// limiter, auth.failures_per_minute): a blocked address gets 429, though the right key still passes.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-types.js';
import { bearerToken } from '../auth/api-keys.js';
import { tooManyBadKeys, type FailureLimiter } from '../auth/failure-limiter.js';
import { clientAddress } from '../http/request-id.js';
import { GatewayError, invalidApiKey } from '../core/errors.js';

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

export function adminAuth(adminKey: string | null, failures: FailureLimiter): MiddlewareHandler<AppEnv> {
  const expected = adminKey === null ? null : sha(adminKey);
  return async function authenticateAdmin(c, next) {
    if (!expected) throw new GatewayError({ status: 404, code: 'admin_disabled', message: 'the admin API is disabled (set TOLLGATE_ADMIN_KEY)' });
    const token = bearerToken(c.req.header('authorization'));
    if (!token || !timingSafeEqual(sha(token), expected)) {
      const address = clientAddress(c);
      if (failures.blocked(address)) throw tooManyBadKeys(failures);
      failures.fail(address);
      throw invalidApiKey('a valid admin key is required');
    }
    await next();
  };
}
