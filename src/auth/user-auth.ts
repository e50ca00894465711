// Bearer auth for the metered API: the key must be one Tollgate issued, not expired or revoked,
// for a user that is not disabled. The admin key is not a user key. A service key names the end
// user it acts for in a header (or, where the operator allows it, the body's `user` /
// `safety_identifier`); any other key that names one is refused, never obeyed. A bearer token
// shaped like a JWT, when issuers are configured, is verified and is its user's.
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-types.js';
import { GatewayError, invalidApiKey, storeUnavailable } from '../core/errors.js';
import { header } from '../http/request-id.js';
import { apiKeyHeader, bearerToken } from './api-keys.js';
import type { FailureLimiter } from './failure-limiter.js';
import { looksLikeJwt, type JwtVerifier } from './jwt.js';
import type { Principal, PrincipalResolver, ServiceCaller } from './principals.js';

export interface EndUserSource {
  /** Lower-case name of the header a service key names its end user in. */
  readonly header: string;
  /** Whether a POST without that header may name its end user in the body. */
  readonly fromBody: boolean;
}

const invalid = invalidApiKey;

const unavailable = (e: unknown): never => {
  if (e instanceof GatewayError) throw e;
  throw storeUnavailable(e);
};

const missingEndUser = (source: EndUserSource) => new GatewayError({ status: 400, code: 'missing_end_user', param: source.header,
  message: `a service key acts for an end user: name it in the ${source.header} header${source.fromBody ? " or the body's 'user'" : ''}` });

const notAllowed = (source: EndUserSource, whose: string) => new GatewayError({ status: 403, code: 'end_user_not_allowed', param: source.header,
  message: `only a service key may name an end user; this is ${whose}, so ${source.header} is refused` });

export function userAuth(principals: PrincipalResolver, failures: FailureLimiter, endUser: EndUserSource, jwt: JwtVerifier | null): MiddlewareHandler<AppEnv> {
  return async function authenticateUser(c, next) {
    const address = c.env.incoming.socket.remoteAddress ?? 'unknown';
    // Anthropic's clients send the key in x-api-key; Authorization: Bearer wins when both are sent.
    const auth = header(c, 'authorization');
    const token = auth !== undefined ? bearerToken(auth) : apiKeyHeader(header(c, 'x-api-key'));
    // A JWT is not guessable (its signature is checked with no store call), so the bad-key limiter
    // does not hold back a valid token behind the same address.
    const asJwt = token !== null && jwt !== null && looksLikeJwt(token);
    if (failures.blocked(address) && !(token && (asJwt || principals.knownGood(token)))) {
      throw new GatewayError({ status: 429, code: 'rate_limit_exceeded', message: 'too many requests with bad API keys from this address; try again later',
        headers: { 'retry-after': String(failures.retryAfter()) } });
    }
    if (!token) {
      failures.fail(address);
      throw invalid('You must provide an API key in an Authorization: Bearer header (or x-api-key).');
    }
    const named = header(c, endUser.header);
    if (jwt && asJwt) {
      const who = await jwt(token).catch((e: unknown) => {
        if (e instanceof GatewayError && e.status === 401) failures.fail(address);
        throw e;
      });
      if (named !== undefined) throw notAllowed(endUser, 'a user\'s own token');
      c.set('principal', await principals.actFor({ keyId: who.issuer }, who.userId, `the token's '${who.claim}' claim`, who.plan).catch(unavailable));
      return next();
    }
    const found = await principals.resolve(token).catch(unavailable);
    if (!found) {
      failures.fail(address);
      throw invalid('Incorrect API key provided.');
    }
    if ('service' in found) {
      if (named !== undefined) c.set('principal', await principals.actFor(found, named, endUser.header).catch(unavailable));
      else if (endUser.fromBody && c.req.method === 'POST') c.set('service', found);
      else throw missingEndUser(endUser);
    } else {
      if (named !== undefined) throw notAllowed(endUser, 'a user\'s own key');
      c.set('principal', found);
    }
    await next();
  };
}

/**
 * The principal of a metered request: the one auth found, or the end user a service key names in
 * the body (`user`, else `safety_identifier`) when the operator allows that.
 */
export async function principalOf(c: Context<AppEnv>, principals: PrincipalResolver, body: Readonly<Record<string, unknown>>, endUser: EndUserSource): Promise<Principal> {
  const known = c.get('principal') as Principal | undefined;
  if (known) return known;
  const service = c.get('service') as ServiceCaller | undefined;
  const field = typeof body.user === 'string' ? 'user' : typeof body.safety_identifier === 'string' ? 'safety_identifier' : null;
  if (!service || field === null) throw missingEndUser(endUser);
  const principal = await principals.actFor(service, body[field] as string, field).catch(unavailable);
  c.set('principal', principal);
  return principal;
}
