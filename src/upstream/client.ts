// The one way to an upstream: undici with a pooled Agent and the configured timeouts. The host
// comes only from configuration (an Upstream's base URL); callers pass a fixed path, never
// anything a client sent (a query string too is written from the endpoint table:
// endpoints/forwarded-query.ts).
import type { EventEmitter } from 'node:events';
import { Agent, errors, type Dispatcher } from 'undici';
import type { Config } from '../config/loader.js';
import { GatewayError, upstreamTimeout, upstreamUnreachable } from '../core/errors.js';

export interface UpstreamCall {
  readonly method: 'GET' | 'POST';
  /** The upstream's base URL (upstreams.ts), without a trailing slash. */
  readonly baseUrl: string;
  /** Path below the upstream base URL, e.g. `/chat/completions` or `/messages?beta=true`. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer | null;
  /** Aborts the call: the client went away, or the caller's total timeout passed. An EventEmitter
   * emitting 'abort' does (undici takes either) and is far cheaper to make than an AbortController. */
  readonly signal: AbortSignal | EventEmitter;
}

export interface UpstreamReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData['body'];
}

export interface UpstreamClient {
  call(c: UpstreamCall): Promise<UpstreamReply>;
  close(): Promise<void>;
}

/** More distinct URLs than any configuration makes: the parsed ones are dropped and parsed again. */
const MAX_TARGETS = 1000;

export function createUpstreamClient(config: Config): UpstreamClient {
  const t = config.upstream.timeouts;
  const agent = new Agent({
    connect: { timeout: t.connect_ms },
    headersTimeout: t.headers_ms,
    bodyTimeout: t.idle_ms,
    keepAliveTimeout: 10_000,
    // Each open stream holds an upstream connection: the pool must be as large as the number of
    // streams the gateway serves at once, or the rest queue (the bench saw 256 of 1,000 open).
    connections: config.upstream.max_connections,
  });

  // undici's request(url) parses the URL of every call; the URLs called are few (configured base
  // URLs × the endpoint table's paths and queries), so each is parsed once, as undici would, and
  // the Agent is given its origin and path.
  const targets = new Map<string, { readonly origin: string; readonly path: string }>();
  const targetOf = (url: string) => {
    let t = targets.get(url);
    if (!t) {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new errors.InvalidArgumentError('Invalid URL protocol: the URL must start with `http:` or `https:`.');
      t = { origin: u.origin, path: u.search ? `${u.pathname}${u.search}` : u.pathname };
      if (targets.size >= MAX_TARGETS) targets.clear();
      targets.set(url, t);
    }
    return t;
  };

  return {
    async call(c) {
      const { origin, path } = targetOf(c.baseUrl + c.path);
      // Errors go back as they are: the caller knows whether its client left (see upstreamError).
      const res = await agent.request({ origin, path, method: c.method, headers: c.headers, body: c.body, signal: c.signal });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    },
    close: () => agent.close(),
  };
}

/** An upstream failure before any response, as a gateway error with a stable code. */
export function upstreamError(e: unknown, clientGone: boolean): GatewayError {
  if (clientGone) {
    return new GatewayError({ status: 499, code: 'upstream_unreachable', message: 'client closed the request', cause: e });
  }
  const timeout = e instanceof errors.HeadersTimeoutError || e instanceof errors.ConnectTimeoutError
    || e instanceof errors.BodyTimeoutError || (e instanceof Error && e.name === 'TimeoutError');
  if (timeout) return upstreamTimeout(e);
  return upstreamUnreachable(e);
}
