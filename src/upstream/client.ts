// The one way to an upstream: undici with a pooled Agent and the configured timeouts. The host
// comes only from configuration (an Upstream's base URL); callers pass a fixed path, never
// anything a client sent (a query string too is written from the endpoint table:
// endpoints/forwarded-query.ts).
import type { EventEmitter } from 'node:events';
import { Agent, errors, request, type Dispatcher } from 'undici';
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

  return {
    async call(c) {
      // Errors go back as they are: the caller knows whether its client left (see upstreamError).
      const res = await request(c.baseUrl + c.path, {
        method: c.method, headers: c.headers, body: c.body, signal: c.signal, dispatcher: agent,
      });
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
