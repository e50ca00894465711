// JWT bearer tokens from the issuers the operator trusts (auth.jwt). The token's `iss` picks the
// issuer; its key comes from the issuer's JWKS (jose caches it, and refetches on a kid it does not
// know, at most once per jwks_cooldown_ms) or from a configured PEM public key. Only asymmetric
// algorithms are accepted: a shared secret would let anyone who holds it mint users.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import type { RawConfig } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { USER_ID, USER_ID_RULE } from './user-id.js';

type IssuerConfig = RawConfig['auth']['jwt'][number];

export interface JwtIdentity {
  /** `jwt:<issuer>`: who vouches for the user (as a service key would). */
  readonly issuer: string;
  readonly userId: string;
  readonly claim: string;
  readonly plan: string | null;
}

export type JwtVerifier = (token: string) => Promise<JwtIdentity>;

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Whether a bearer token is shaped like a JWT (three dot-separated parts); Tollgate's keys have no dots. */
export const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

const refused = (message: string, cause?: unknown) => new GatewayError({ status: 401, code: 'invalid_token', message, cause });

function explain(e: unknown, issuer: IssuerConfig): GatewayError {
  if (e instanceof errors.JWTExpired) return refused('the token has expired', e);
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return refused(`the token's audience is not '${issuer.audience}'`, e);
    if (e.claim === 'nbf') return refused('the token is not valid yet', e);
    return refused(`the token's '${e.claim}' claim is not acceptable: ${e.reason}`, e);
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return refused('the token\'s signature does not verify', e);
  if (e instanceof errors.JWKSNoMatchingKey) return refused(`no key of issuer '${issuer.issuer}' matches the token's kid`, e);
  if (e instanceof errors.JOSEAlgNotAllowed) return refused('the token\'s algorithm is not accepted (asymmetric signatures only)', e);
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid || (e instanceof Error && !(e instanceof errors.JOSEError))) {
    return new GatewayError({ status: 503, code: 'jwks_unavailable', message: `the key set of issuer '${issuer.issuer}' could not be fetched; try again shortly`, cause: e });
  }
  return refused(`the token is not valid: ${(e as Error).message}`, e);
}

export function createJwtVerifier(issuers: readonly IssuerConfig[], clock: Clock): JwtVerifier | null {
  if (issuers.length === 0) return null;
  const keys = new Map<string, { config: IssuerConfig; key: KeyObject | ReturnType<typeof createRemoteJWKSet> }>();
  for (const config of issuers) {
    const key = config.jwks_url !== undefined
      ? createRemoteJWKSet(new URL(config.jwks_url), { cooldownDuration: config.jwks_cooldown_ms })
      : createPublicKey(config.public_key as string);
    keys.set(config.issuer, { config, key });
  }

  return async function verifyJwt(token) {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch (e) {
      throw refused('the bearer token is neither a Tollgate key nor a readable JWT', e);
    }
    const found = typeof claims.iss === 'string' ? keys.get(claims.iss) : undefined;
    if (!found) throw refused(`the token's issuer '${String(claims.iss ?? '')}' is not trusted`);
    const { config, key } = found;
    let payload: JWTPayload;
    try {
      const options = { issuer: config.issuer, audience: config.audience, algorithms: ALGORITHMS, clockTolerance: config.clock_tolerance_s,
        currentDate: new Date(clock.now()) };
      payload = (typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options)).payload;
    } catch (e) {
      throw explain(e, config);
    }
    const userId = payload[config.user_claim];
    if (typeof userId !== 'string' || !USER_ID.test(userId)) throw refused(`the token's '${config.user_claim}' claim must be a user id: ${USER_ID_RULE}`);
    const plan = config.plan_claim === null ? null : payload[config.plan_claim];
    return { issuer: `jwt:${config.issuer}`, userId, claim: config.user_claim, plan: typeof plan === 'string' ? plan : null };
  };
}
