// Tollgate's own API keys: `tg-` + 43 characters of base64url randomness. Only the SHA-256
// digest is ever stored; the key is shown once, when it is made.
import { hash, randomBytes } from 'node:crypto';

export const KEY_PREFIX = 'tg-';

export function newApiKey(): { key: string; keyId: string; prefix: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, keyId: `key_${randomBytes(9).toString('base64url')}`, prefix: key.slice(0, 10) };
}

/** Run on every request (the auth cache is keyed by it): the one-shot hash, a third of createHash's cost. */
export function digestKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The key of an x-api-key header (Anthropic's clients), or null when there is none or it is malformed. */
export function apiKeyHeader(header: string | undefined): string | null {
  if (!header) return null;
  const v = header.trim();
  return /^[\x21-\x7e]{1,8192}$/.test(v) ? v : null;
}

/** The bearer token of an Authorization header, or null when there is none or it is malformed. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  // Long enough for a JWT with a few claims and an RSA-4096 signature.
  const m = /^Bearer ([\x21-\x7e]{1,8192})$/i.exec(header.trim());
  return m ? (m[1] as string) : null;
}
