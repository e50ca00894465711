// GET /v1/models: the upstream's list, narrowed to the models the key may use. Not metered: it
// costs the provider nothing.
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../app-types.js';
import { upstreamError } from '../upstream/client.js';
import { clientHeaders, upstreamHeaders } from '../upstream/headers.js';
import type { Upstream } from '../upstream/upstreams.js';

export function createModelsHandler(deps: Deps, upstream: Upstream) {
  return async function models(c: Context<AppEnv>): Promise<Response> {
    const requestId = c.get('requestId');
    const signal = c.req.raw.signal;
    const reply = await deps.upstream.call({
      method: 'GET', baseUrl: upstream.baseUrl, path: '/models', body: null, signal,
      headers: upstreamHeaders(c.env.incoming.headers, upstream.auth, requestId, deps.config.auth.end_user_header),
    }).catch((e: unknown) => {
      throw upstreamError(e, signal.aborted);
    });
    const text = await reply.body.text();
    const headers = { ...clientHeaders(reply.headers, false), 'x-request-id': requestId };
    const allowed = c.get('principal').user.allowedModels;
    if (reply.status !== 200 || !allowed) return new Response(text, { status: reply.status, headers });
    try {
      const list = JSON.parse(text) as { data?: Array<{ id?: unknown }> };
      if (Array.isArray(list.data)) list.data = list.data.filter((m) => typeof m.id === 'string' && allowed.includes(m.id));
      return new Response(JSON.stringify(list), { status: 200, headers });
    } catch (e) {
      c.get('log').warn({ err: e }, 'upstream model list is not JSON; passed through unfiltered is not safe, refusing');
      return new Response(JSON.stringify({ object: 'list', data: [] }), { status: 200, headers: { ...headers, 'content-type': 'application/json' } });
    }
  };
}
