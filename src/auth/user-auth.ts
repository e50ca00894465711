// Bearer auth for the metered API: the key must be one Tollgate issued, not expired or revoked,
// for a user that is not disabled. The admin key is not a user key.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-types.js';
import { GatewayError } from '../http/errors.js';
import { header } from '../http/request-id.js';
import { bearerToken } from './api-keys.js';
import type { FailureLimiter } from './failure-limiter.js';
import type { PrincipalResolver } from './principals.js';


const invalid = (message: string) =>
  new GatewayError({ status: 401, code: 'invalid_api_key', message });

export function userAuth(principals: PrincipalResolver, failures: FailureLimiter): MiddlewareHandler<AppEnv> {
  return async function authenticateUser(c, next) {
    const address = c.env.incoming.socket.remoteAddress ?? 'unknown';
    const token = bearerToken(header(c, 'authorization'));
    if (failures.blocked(address) && !(token && principals.knownGood(token))) {
      throw new GatewayError({ status: 429, code: 'rate_limit_exceeded', message: 'too many requests with bad API keys from this address; try again later',
        headers: { 'retry-after': String(failures.retryAfter()) } });
    }
    if (!token) {
      failures.fail(address);
      throw invalid('You must provide an API key in an Authorization: Bearer header.');
    }
    const principal = await principals.resolve(token).catch((e: unknown) => {
      throw new GatewayError({ status: 503, code: 'store_unavailable', message: 'the usage store is unavailable; try again shortly', cause: e });
    });
    if (!principal) {
      failures.fail(address);
      throw invalid('Incorrect API key provided.');
    }
    c.set('principal', principal);
    await next();
  };
}
