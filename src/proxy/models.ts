// GET /v1/models: the upstreams' lists, narrowed to the models the key may use. Not metered: it
// costs the providers nothing. One upstream: its answer as it is (filtered). Several: one list
// of every upstream's models that route to it, in upstream order; an upstream that fails is left
// out (and logged), unless all do.
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../app-types.js';
import { upstreamError, type UpstreamReply } from '../upstream/client.js';
import { clientHeaders, headersTo } from '../upstream/headers.js';
import type { RoutedUpstream } from '../upstream/upstreams.js';

interface ModelEntry { id?: unknown }

export function createModelsHandler(deps: Deps, upstreams: readonly RoutedUpstream[]) {
  const fetchList = (c: Context<AppEnv>, u: RoutedUpstream): Promise<UpstreamReply> => {
    const signal = c.req.raw.signal;
    return deps.upstream.call({
      method: 'GET', baseUrl: u.baseUrl, path: '/models', body: null, signal,
      headers: headersTo(u, c.env.incoming.headers, c.get('requestId'), deps.config.auth.end_user_header, false),
    }).catch((e: unknown) => {
      throw upstreamError(e, signal.aborted);
    });
  };

  async function single(c: Context<AppEnv>, u: RoutedUpstream): Promise<Response> {
    const requestId = c.get('requestId');
    const reply = await fetchList(c, u);
    const text = await reply.body.text();
    const headers = { ...clientHeaders(reply.headers, false), 'x-request-id': requestId };
    const allowed = c.get('principal').user.allowedModels;
    if (reply.status !== 200 || !allowed) return new Response(text, { status: reply.status, headers });
    try {
      const list = JSON.parse(text) as { data?: ModelEntry[] };
      if (Array.isArray(list.data)) list.data = list.data.filter((m) => typeof m.id === 'string' && allowed.includes(m.id));
      return new Response(JSON.stringify(list), { status: 200, headers });
    } catch (e) {
      c.get('log').warn({ err: e }, 'upstream model list is not JSON; passed through unfiltered is not safe, refusing');
      return new Response(JSON.stringify({ object: 'list', data: [] }), { status: 200, headers: { ...headers, 'content-type': 'application/json' } });
    }
  }

  async function merged(c: Context<AppEnv>): Promise<Response> {
    const allowed = c.get('principal').user.allowedModels;
    const lists = await Promise.allSettled(upstreams.map(async (u) => {
      const reply = await fetchList(c, u);
      const text = await reply.body.text();
      if (reply.status !== 200) throw new Error(`upstream '${u.name}' answered ${reply.status}`);
      const data = (JSON.parse(text) as { data?: unknown }).data;
      if (!Array.isArray(data)) throw new Error(`upstream '${u.name}' sent no model list`);
      // Only the models that route to it (a catch-all default lists all of its own).
      return (data as ModelEntry[]).filter((m) => typeof m.id === 'string' && (u.models.length === 0 || u.models.some((p) => p.test(m.id as string))));
    }));
    const seen = new Set<string>();
    const data: ModelEntry[] = [];
    lists.forEach((r, i) => {
      if (r.status === 'rejected') {
        c.get('log').warn({ err: (r.reason as Error).message, upstream: upstreams[i]?.name }, 'model list of an upstream left out');
        return;
      }
      for (const m of r.value) {
        const id = m.id as string;
        if (seen.has(id) || (allowed && !allowed.includes(id))) continue;
        seen.add(id);
        data.push(m);
      }
    });
    const first = lists.find((r) => r.status === 'rejected');
    if (lists.every((r) => r.status === 'rejected') && first) throw (first as PromiseRejectedResult).reason;
    return c.json({ object: 'list', data }, 200, { 'x-request-id': c.get('requestId') });
  }

  return function models(c: Context<AppEnv>): Promise<Response> {
    return upstreams.length === 1 ? single(c, upstreams[0] as RoutedUpstream) : merged(c);
  };
}
