// Where a metered request goes: an upstream is a provider (how to speak to it) at a base URL
// with the operator's credentials. Today one, from `upstream` in the config (or UPSTREAM_BASE_URL
// / UPSTREAM_API_KEY), OpenAI-compatible.
import type { Config } from '../config/loader.js';
import { openaiProvider } from '../providers/openai/provider.js';
import type { Provider } from '../providers/provider.js';

export interface Upstream {
  readonly name: string;
  readonly provider: Provider;
  /** Without a trailing slash: a call's path is appended to it. */
  readonly baseUrl: string;
  /** Headers that authenticate the gateway there. */
  readonly auth: Readonly<Record<string, string>>;
  /** The credential to take out of anything the upstream sends back (an error can quote it). */
  readonly secret: string | null;
}

export function defaultUpstream(config: Config): Upstream {
  const u = config.upstream;
  return {
    name: 'default',
    provider: openaiProvider,
    baseUrl: u.base_url.replace(/\/+$/, ''),
    auth: openaiProvider.authHeaders({ apiKey: u.api_key, organization: u.organization, project: u.project }),
    secret: u.api_key,
  };
}
