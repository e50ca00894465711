// Where metered requests go: an upstream is a provider (how to speak to it) at a base URL with the
// operator's credentials. Several, routed by model (config `upstreams`, router.ts), or the one of
// the old config (`upstream`, UPSTREAM_BASE_URL / UPSTREAM_API_KEY), OpenAI-compatible, serving
// every model.
import type { Config, UpstreamEntry } from '../config/loader.js';
import { PROVIDERS } from '../providers/providers.js';
import type { Provider } from '../providers/provider.js';

export interface Upstream {
  readonly name: string;
  readonly provider: Provider;
  /** Without a trailing slash: a call's path is appended to it. */
  readonly baseUrl: string;
  /** Headers that authenticate the gateway there (and the configured extra headers). */
  readonly auth: Readonly<Record<string, string>>;
  /** The credential to take out of anything the upstream sends back (an error can quote it). */
  readonly secret: string | null;
}

export interface RoutedUpstream extends Upstream {
  /** Model patterns (`*` matches any run of characters); empty: only as the default. */
  readonly models: readonly RegExp[];
  readonly isDefault: boolean;
  /** Names of the upstreams to try next, in order. */
  readonly fallback: readonly string[];
}

/** A glob of model names (`claude-*`, `*-instruct`, `llama-3.*`) as an anchored expression. */
export function modelPattern(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function defaultUpstream(config: Config): RoutedUpstream {
  const u = config.upstream;
  const provider = PROVIDERS.openai;
  return {
    name: 'default', provider, baseUrl: u.base_url.replace(/\/+$/, ''),
    auth: provider.authHeaders({ apiKey: u.api_key, organization: u.organization, project: u.project }),
    secret: u.api_key, models: [], isDefault: true, fallback: [],
  };
}

function fromEntry(e: UpstreamEntry): RoutedUpstream {
  const provider = PROVIDERS[e.kind];
  return {
    name: e.name, provider, baseUrl: (e.base_url ?? provider.defaultBaseUrl).replace(/\/+$/, ''),
    auth: { ...provider.authHeaders({ apiKey: e.apiKey }), ...lowerKeys(e.headers) },
    secret: e.apiKey, models: e.models.map(modelPattern), isDefault: e.default, fallback: e.fallback,
  };
}

const lowerKeys = (h: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

/** The configured upstreams, or the one of the old config. */
export function upstreamsOf(config: Config): RoutedUpstream[] {
  return config.upstreams.length === 0 ? [defaultUpstream(config)] : config.upstreams.map(fromEntry);
}
