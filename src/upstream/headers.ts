// Which headers cross the gateway. Upstream-bound: the client's own headers minus its credentials,
// hop-by-hop headers and Tollgate's own; the upstream's auth (its provider's headers) is added. Client-bound: the upstream's
// headers minus hop-by-hop, cookies and its own rate-limit headers (x-ratelimit-*, RateLimit,
// RateLimit-Policy, anthropic-ratelimit-*: Tollgate sends the user's instead).
import type { IncomingHttpHeaders } from 'node:http';
import type { Upstream } from './upstreams.js';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect', 'http2-settings',
]);

// OpenAI-Organization / OpenAI-Project pick which organization and project the gateway's key bills:
// that is the operator's choice (upstream.organization / upstream.project), never a client's.
const NEVER_UPSTREAM = new Set(['authorization', 'api-key', 'x-api-key', 'cookie', 'accept-encoding', 'forwarded', 'x-forwarded-for',
  'x-forwarded-host', 'x-real-ip', 'openai-organization', 'openai-project']);

const NEVER_DOWNSTREAM = new Set(['set-cookie', 'content-encoding', 'alt-svc', 'strict-transport-security']);

const NONE: ReadonlySet<string> = new Set();

function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> {
  // Most messages name no header in Connection beyond keep-alive/close: no set to build.
  if (value === undefined || value === 'keep-alive' || value === 'close') return NONE;
  const raw = Array.isArray(value) ? value.join(',') : value;
  return new Set(raw.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/**
 * `auth`: the upstream's own headers (its provider's authHeaders). `endUserHeader`: where service
 * keys name their end user (auth.end_user_header); never sent upstream. `defaults`: sent when the
 * client sent none of that name (Anthropic's API version).
 */
export function upstreamHeaders(client: IncomingHttpHeaders, auth: Readonly<Record<string, string>>, requestId: string, endUserHeader = 'x-tollgate-user',
  defaults?: Readonly<Record<string, string>>): Record<string, string> {
  const dropped = connectionTokens(client.connection);
  const out: Record<string, string> = {};
  for (const name in client) {
    const value = client[name];
    if (value === undefined || HOP_BY_HOP.has(name) || NEVER_UPSTREAM.has(name) || dropped.has(name) || name === endUserHeader) continue;
    if (name.startsWith('x-tollgate-') || name.startsWith('x-conversation-') || name === 'x-parent-conversation-id') continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  out['accept-encoding'] = 'identity';
  out['x-request-id'] = requestId;
  if (defaults) for (const name in defaults) out[name] ??= defaults[name] as string;
  return Object.assign(out, auth);
}

export function clientHeaders(upstream: Readonly<Record<string, string | string[] | undefined>>, keepLength: boolean): Record<string, string> {
  const dropped = connectionTokens(upstream.connection);
  const out: Record<string, string> = {};
  for (const name in upstream) {
    const value = upstream[name];
    // The upstream's rate limits are the gateway key's, shared by every user: never the client's.
    if (value === undefined || dropped.has(name) || NEVER_DOWNSTREAM.has(name) || name.startsWith('x-ratelimit-') || name.startsWith('ratelimit')
      || name.startsWith('anthropic-ratelimit-')) continue;
    if (HOP_BY_HOP.has(name) && !(keepLength && name === 'content-length')) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The headers of a call to upstream `u` made for a client's request: upstreamHeaders with `u`'s
 * credentials and its provider's defaults, and a JSON body's content type when there is a body.
 */
export function headersTo(u: Pick<Upstream, 'auth' | 'provider'>, client: IncomingHttpHeaders, requestId: string, endUserHeader: string, jsonBody: boolean): Record<string, string> {
  const out = upstreamHeaders(client, u.auth, requestId, endUserHeader, u.provider.defaultHeaders);
  if (jsonBody) out['content-type'] = 'application/json';
  return out;
}
