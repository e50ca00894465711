// Bearer auth for the metered API: the key must be one Tollgate issued, not expired or revoked,
// for a user that is not disabled. A route of a wire format whose clients send the key in a header
// of their own (Anthropic's x-api-key) reads it there too; OpenAI's routes take Bearer only, as
// OpenAI does, and say so to a client that sent another format's header. The admin key is not a
// user key. A service key names the end user it acts for in a header (or, where the operator
// allows it, the body's `user` / `safety_identifier`); any other key that names one is refused,
// never obeyed. A bearer token shaped like a JWT, when issuers are configured, is verified and is
// its user's.
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError, invalidApiKey, storeUnavailable } from '../core/errors.js';
import { clientAddress, header } from '../http/request-id.js';
import { apiKeyHeader, bearerToken } from './api-keys.js';
import { tooManyBadKeys, type FailureLimiter } from './failure-limiter.js';
import { looksLikeJwt, type JwtVerifier } from './jwt.js';
import type { Principal, PrincipalResolver, ServiceCaller } from './principals.js';

/** What auth reads and writes of a request's variables (the app's AppEnv has these and more). */
export interface AuthEnv {
  Bindings: HttpBindings;
  Variables: {
    principal: Principal;
    /** A service key whose end user is named in the body (set only until the body is read). */
    service: ServiceCaller;
    /** The wire format the route speaks (its provider), when it speaks one. */
    provider: { readonly name: string; readonly keyHeader?: string };
  };
}

/** A header some wire format's clients send their key in instead of Authorization: Bearer. */
export interface KeyHeader {
  readonly header: string;
  /** Whose clients send it ("Anthropic"): named when it comes to another format's route. */
  readonly format: string;
}

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

/**
 * `keyHeaders`: every wire format's own key header. A route that speaks one format (c.get('provider'),
 * from the endpoint table) reads that format's only; a route of none (/v1/models, /v1/quota) reads any.
 */
export function userAuth(principals: PrincipalResolver, failures: FailureLimiter, endUser: EndUserSource, jwt: JwtVerifier | null,
  keyHeaders: readonly KeyHeader[]): MiddlewareHandler<AuthEnv> {
  return async function authenticateUser(c, next) {
    const address = clientAddress(c);
    const format = c.get('provider') as AuthEnv['Variables']['provider'] | undefined;
    const read = format ? keyHeaders.filter((k) => k.header === format.keyHeader) : keyHeaders;
    // Authorization: Bearer wins when both are sent.
    const auth = header(c, 'authorization');
    let token = auth !== undefined ? bearerToken(auth) : null;
    if (auth === undefined) {
      for (const k of read) {
        token = apiKeyHeader(header(c, k.header));
        if (token !== null) break;
      }
    }
    // A JWT is not guessable (its signature is checked with no store call), so the bad-key limiter
    // does not hold back a valid token behind the same address.
    const asJwt = token !== null && jwt !== null && looksLikeJwt(token);
    if (failures.blocked(address) && !(token && (asJwt || principals.knownGood(token)))) {
      throw tooManyBadKeys(failures);
    }
    if (!token) {
      failures.fail(address);
      const elsewhere = auth === undefined && format ? keyHeaders.find((k) => !read.includes(k) && header(c, k.header) !== undefined) : undefined;
      if (elsewhere && format) {
        throw invalid(`This route takes its API key in an Authorization: Bearer header, as ${format.name}'s API does; ${elsewhere.header} is read only on ${elsewhere.format}'s routes.`);
      }
      throw invalid(`You must provide an API key in an Authorization: Bearer header${read.length > 0 ? ` (or ${read.map((k) => k.header).join(', ')})` : ''}.`);
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
export async function principalOf<E extends AuthEnv>(c: Context<E>, principals: PrincipalResolver, body: Readonly<Record<string, unknown>>, endUser: EndUserSource): Promise<Principal> {
  const known = c.get('principal') as Principal | undefined;
  if (known) return known;
  const service = c.get('service') as ServiceCaller | undefined;
  const field = typeof body.user === 'string' ? 'user' : typeof body.safety_identifier === 'string' ? 'safety_identifier' : null;
  if (!service || field === null) throw missingEndUser(endUser);
  const principal = await principals.actFor(service, body[field] as string, field).catch(unavailable);
  c.set('principal', principal);
  return principal;
}
