// POST /v1/messages/count_tokens: Anthropic's prompt counter, passed through to the model's
// upstream for an authenticated caller. Unmetered (it costs the provider nothing and generates
// nothing), but the key must be valid and may only name the models it is allowed.
import type { Context } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { principalOf, type EndUserSource } from '../auth/user-auth.js';
import { badRequest, modelNotAllowed } from '../core/errors.js';
import type { Endpoint } from '../endpoints/endpoints.js';
import { forwardedQuery } from '../endpoints/forwarded-query.js';
import { upstreamError } from '../upstream/client.js';
import { clientHeaders, headersTo } from '../upstream/headers.js';
import { redactHeaders, redactSecret } from '../upstream/redact.js';
import type { UpstreamRouter } from '../upstream/router.js';
import { parseJsonObject, readBody } from './read-body.js';

export function createCountTokensHandler(app: AppContext, endpoint: Endpoint, router: UpstreamRouter, endUser: EndUserSource) {
  return async function countTokens(c: Context<AppEnv>): Promise<Response> {
    // The same query parameters as the endpoint's own (?beta=true from Anthropic's beta clients).
    const path = `${endpoint.path}/count_tokens${forwardedQuery(endpoint.query, c.env.incoming.url ?? '')}`;
    const raw = await readBody(c.env.incoming, app.config.server.body_limit_bytes);
    const body = parseJsonObject(raw);
    const principal = await principalOf(c, app.principals, body, endUser);
    if (typeof body.model !== 'string' || body.model === '') throw badRequest("'model' must be a non-empty string", 'model');
    const allowed = principal.user.allowedModels;
    if (allowed && !allowed.includes(body.model)) throw modelNotAllowed(body.model);
    const upstream = router.route(endpoint, body.model)[0];
    if (!upstream) throw badRequest(`model '${body.model}' has no upstream`, 'model');
    const signal = c.req.raw.signal;
    const reply = await app.upstream.call({
      method: 'POST', baseUrl: upstream.baseUrl, path, body: raw, signal,
      headers: headersTo(upstream, c.env.incoming.headers, c.get('requestId'), app.config.auth.end_user_header, true),
    }).catch((e: unknown) => {
      throw upstreamError(e, signal.aborted);
    });
    const text = redactSecret(await reply.body.text(), upstream.secret);
    return new Response(text, { status: reply.status, headers: { ...redactHeaders(clientHeaders(reply.headers, false), upstream.secret), 'x-request-id': c.get('requestId') } });
  };
}
