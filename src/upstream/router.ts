// Which upstream serves a request: the first whose model patterns match the model and whose
// provider speaks the endpoint's wire format, else the default one (`default: true`, or the single
// upstream of the old config). Its `fallback` list, when fallback is configured, names the
// upstreams tried next when it cannot be reached or fails before the first byte. A model that no
// upstream serves on this endpoint is a 400 that names it, before anything is reserved.
import type { Config } from '../config/loader.js';
import { modelNotRouted } from '../core/errors.js';
import type { Endpoint } from '../endpoints/endpoints.js';
import { upstreamsOf, type RoutedUpstream, type Upstream } from './upstreams.js';

export interface UpstreamRouter {
  readonly all: readonly RoutedUpstream[];
  /** The upstream for this request, then its fallbacks that speak the same format. */
  route(endpoint: Endpoint, model: string): readonly Upstream[];
}

export function createRouter(upstreams: readonly RoutedUpstream[]): UpstreamRouter {
  const byName = new Map(upstreams.map((u) => [u.name, u]));
  const fallback = upstreams.find((u) => u.isDefault) ?? null;
  const memo = new Map<string, readonly Upstream[]>();

  function chain(endpoint: Endpoint, first: RoutedUpstream): readonly Upstream[] {
    const next = first.fallback.map((n) => byName.get(n)).filter((u): u is RoutedUpstream => u !== undefined && u.provider === endpoint.provider);
    return [first, ...next];
  }

  function find(endpoint: Endpoint, model: string): readonly Upstream[] {
    const matching = upstreams.filter((u) => u.models.some((p) => p.test(model)));
    const serving = matching.find((u) => u.provider === endpoint.provider);
    if (serving) return chain(endpoint, serving);
    if (fallback && fallback.provider === endpoint.provider && matching.length === 0) return chain(endpoint, fallback);
    const where = matching[0] ?? fallback;
    if (where) {
      throw modelNotRouted(`model '${model}' is served by upstream '${where.name}' (${where.provider.kind}), which does not speak ${endpoint.path}`);
    }
    throw modelNotRouted(`model '${model}' is not served by any configured upstream`);
  }

  return {
    all: upstreams,
    route(endpoint, model) {
      const key = `${endpoint.api}\u0000${model}`;
      let hit = memo.get(key);
      if (hit === undefined) {
        hit = find(endpoint, model);
        if (memo.size < 10_000) memo.set(key, hit);
      }
      return hit;
    },
  };
}

/** The router over the configured upstreams (or the one of the old config). */
export function createUpstreamRouter(config: Config): UpstreamRouter {
  return createRouter(upstreamsOf(config));
}
