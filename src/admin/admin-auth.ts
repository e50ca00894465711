// Bearer auth for the admin API, compared in constant time. With no admin key configured the
// admin API is off. Bad admin keys count against the address with bad user keys (the same
// limiter, auth.failures_per_minute): a blocked address gets 429, though the right key still passes.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-types.js';
import { bearerToken } from '../auth/api-keys.js';
import type { FailureLimiter } from '../auth/failure-limiter.js';
import { GatewayError, invalidApiKey } from '../core/errors.js';

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

export function adminAuth(adminKey: string | null, failures: FailureLimiter): MiddlewareHandler<AppEnv> {
  const expected = adminKey === null ? null : sha(adminKey);
  return async function authenticateAdmin(c, next) {
    if (!expected) throw new GatewayError({ status: 404, code: 'admin_disabled', message: 'the admin API is disabled (set TOLLGATE_ADMIN_KEY)' });
    const token = bearerToken(c.req.header('authorization'));
    if (!token || !timingSafeEqual(sha(token), expected)) {
      const address = c.env.incoming.socket.remoteAddress ?? 'unknown';
      if (failures.blocked(address)) {
        throw new GatewayError({ status: 429, code: 'rate_limit_exceeded', message: 'too many requests with bad keys from this address; try again later',
          headers: { 'retry-after': String(failures.retryAfter()) } });
      }
      failures.fail(address);
      throw invalidApiKey('a valid admin key is required');
    }
    await next();
  };
}
