// Bearer auth for the metered API: the key must be one Tollgate issued, not expired or revoked,
// for a user that is not disabled. The admin key is not a user key.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-types.js';
import { GatewayError } from '../http/errors.js';
import { header } from '../http/request-id.js';
import { bearerToken } from './api-keys.js';
import type { PrincipalResolver } from './principals.js';


const invalid = (message: string) =>
  new GatewayError({ status: 401, code: 'invalid_api_key', message });

export function userAuth(principals: PrincipalResolver): MiddlewareHandler<AppEnv> {
  return async function authenticateUser(c, next) {
    const token = bearerToken(header(c, 'authorization'));
    if (!token) throw invalid('You must provide an API key in an Authorization: Bearer header.');
    const principal = await principals.resolve(token).catch((e: unknown) => {
      throw new GatewayError({ status: 503, code: 'store_unavailable', message: 'the usage store is unavailable; try again shortly', cause: e });
    });
    if (!principal) throw invalid('Incorrect API key provided.');
    c.set('principal', principal);
    await next();
  };
}
