// relay: sends an admitted request upstream and answers with what comes back, metering on the
// way; then `measure` decides the charge and the settlement settles it. Every exit path settles
// exactly once and releases its listener: an upstream that cannot be reached or answers with an
// error costs nothing but its count in the request rates. With fallback configured, an upstream
// that cannot be reached or answers 5xx / 429 is left for the next of the route before anything
// reached the client — under the same reservation, settled once; never after the first byte.
import { EventEmitter } from 'node:events';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../app-types.js';
import { GatewayError, upstreamTimeout } from '../core/errors.js';
import type { Endpoint } from '../endpoints/endpoints.js';
import { createSseMeter } from '../meter/sse-meter.js';
import { countUsage } from '../meter/token-count.js';
import type { SettleOutcome, Settlement } from '../settle/settlement.js';
import { upstreamError, type UpstreamReply } from '../upstream/client.js';
import { clientHeaders, headersTo } from '../upstream/headers.js';
import { redactHeaders, redactSecret } from '../upstream/redact.js';
import type { Upstream } from '../upstream/upstreams.js';
import { Collector, writeToClient, type RelayEnd } from './client-writer.js';
import { measure, type Charge, type Seen } from './measure.js';

export interface RelayOptions {
  readonly deps: Deps;
  readonly c: Context<AppEnv>;
  readonly endpoint: Endpoint;
  /** The upstream path (the endpoint's, and the query it forwards). */
  readonly path: string;
  /** The model's upstream, then its fallbacks. */
  readonly upstreams: readonly Upstream[];
  readonly body: Buffer | string;
  readonly settlement: Settlement;
  /** Limit headers (and others) Tollgate adds to the response. */
  readonly headers: Record<string, string>;
  readonly hideUsageChunk: boolean;
  /** The prompt's tokens by our count, for a request the provider reports no usage for. */
  readonly promptTokens: () => Promise<number>;
  readonly promptBytes: number;
}

const ERROR_BODY_LIMIT = 1024 * 1024;

export async function relay(o: RelayOptions): Promise<Response> {
  const { deps, c, settlement, endpoint } = o;
  let upstream = o.upstreams[0] as Upstream;
  // Named in the ledger when there is more than one to choose from.
  const named = deps.config.upstreams.length > 0;
  const servedBy = () => (named ? upstream.name : undefined);
  const requestId = c.get('requestId');
  const done = deps.inFlight.begin();
  const abort = createAbort();
  // The client's connection closing before its response was finished means it went away. (Watching
  // the Node response directly costs less than the fetch Request's AbortSignal.)
  const outgoing = c.env.outgoing;
  let clientGone = outgoing.destroyed;
  const detach = deps.inFlight.listen(outgoing, () => {
    if (outgoing.writableFinished) return;
    clientGone = true;
    abort.abort();
  });
  // The whole exchange, body included, has a time limit (upstream.timeouts.total_ms).
  let timedOut = false;
  const total = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, deps.config.upstream.timeouts.total_ms);
  total.unref();
  const end = () => {
    clearTimeout(total);
    detach();
    done();
  };

  const started = performance.now();
  let firstByteMs: number | null = null;
  const timings = () => ({ firstByteMs, totalMs: Math.round(performance.now() - started) });
  let reply: UpstreamReply;
  let sent = false;
  try {
    // The client may have gone while the store was answering: then no upstream call is made, and
    // the reservation is given back (`released`: not even a request rate counts it).
    if (clientGone) throw new Error('client closed the request before it was sent upstream');
    sent = true;
    for (let i = 0; ; i++) {
      upstream = o.upstreams[i] as Upstream;
      const last = i === o.upstreams.length - 1;
      try {
        reply = await deps.upstream.call({
          method: 'POST', baseUrl: upstream.baseUrl, path: o.path, body: o.body, signal: abort.emitter,
          headers: headersTo(upstream, c.env.incoming.headers, requestId, deps.config.auth.end_user_header, true),
        });
      } catch (e) {
        if (last || clientGone || timedOut) throw e;
        c.get('log').warn({ upstream: upstream.name, err: (e as Error).message }, 'upstream not reached: trying the next of the route');
        continue;
      }
      if (last || (reply.status < 500 && reply.status !== 429)) break;
      c.get('log').warn({ upstream: upstream.name, status: reply.status }, 'upstream failed before its first byte: trying the next of the route');
      await reply.body.dump().catch(() => undefined);
    }
  } catch (e) {
    end();
    void settlement.settle({ outcome: !sent ? 'released' : clientGone ? 'aborted' : 'upstream_error', usage: null, model: null, estimated: false, upstream: sent ? servedBy() : undefined });
    if (e instanceof GatewayError) throw e;
    if (timedOut) throw upstreamTimeout(e);
    throw upstreamError(e, clientGone);
  }
  firstByteMs = Math.round(performance.now() - started);
  deps.metrics.upstreamFirstByte(endpoint.label, firstByteMs / 1000);

  // Tollgate's headers over the upstream's, added to the object clientHeaders just made (no copies).
  const withOurs = (fromUpstream: Record<string, string>): Record<string, string> => {
    Object.assign(fromUpstream, o.headers);
    fromUpstream['x-request-id'] = requestId;
    return fromUpstream;
  };
  if (reply.status >= 400) {
    const text = redactSecret(await readLimited(reply, ERROR_BODY_LIMIT), upstream.secret);
    end();
    void settlement.settle({ outcome: 'upstream_error', usage: null, model: null, estimated: false, timings: timings(), upstream: servedBy() });
    return new Response(text, { status: reply.status, headers: withOurs(redactHeaders(clientHeaders(reply.headers, false), upstream.secret)) });
  }

  const contentType = String(reply.headers['content-type'] ?? '');
  const isSse = contentType.startsWith('text/event-stream');
  const meter = isSse ? createSseMeter({ dialect: endpoint.usage, hideUsageChunk: o.hideUsageChunk }) : null;
  const collector = isSse ? null : new Collector(deps.config.upstream.max_response_bytes);
  const answer = isSse || contentType.includes('json');

  const seen = (): Seen => meter
    ? { kind: 'stream', report: meter.report() }
    : { kind: 'body', answer, bytes: (collector as Collector).bytes, overflowed: (collector as Collector).overflowed, text: () => (collector as Collector).text() };

  const finish = (how: RelayEnd, error?: unknown) => {
    end();
    if (how === 'upstream_error') c.get('log').warn({ err: error }, 'upstream failed mid-response');
    const { outcome, charge } = measure({ seen: seen(), how, dialect: endpoint.usage, promptBytes: o.promptBytes });
    deps.metrics.requestSeconds(endpoint.label, (performance.now() - started) / 1000);
    void settlement.settle({ outcome, ...usageOf(charge, o.promptTokens), timings: timings(), upstream: servedBy() });
  };

  writeToClient({
    outgoing, status: reply.status, reply, tap: meter ?? (collector as Collector), onEnd: finish,
    tooLarge: () => collector?.overflowed === true,
    headers: withOurs(clientHeaders(reply.headers, !isSse && !o.hideUsageChunk)), flushHeaders: isSse,
  });
  return RESPONSE_ALREADY_SENT;
}

/** A charge as the settlement takes it: a count is made (tokenizer loaded) only when one is needed. */
function usageOf(charge: Charge, promptTokens: () => Promise<number>): Pick<SettleOutcome, 'usage' | 'model' | 'estimated'> {
  switch (charge.kind) {
    case 'nothing':
      return { usage: null, model: charge.model, estimated: false };
    case 'reported':
      return { usage: charge.usage, model: charge.model, estimated: false };
    case 'rough':
      return { usage: charge.usage, model: null, estimated: true };
    case 'count':
      return { usage: promptTokens().then((p) => countUsage({ promptTokens: p, outputText: charge.outputText })), model: charge.model, estimated: true };
  }
}

/** A one-shot abort for the upstream call, as the EventEmitter undici accepts for a signal. */
function createAbort(): { emitter: EventEmitter; abort(): void } {
  const emitter = new EventEmitter();
  let done = false;
  return {
    emitter,
    abort() {
      if (done) return;
      done = true;
      emitter.emit('abort');
    },
  };
}

async function readLimited(reply: UpstreamReply, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of reply.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        reply.body.destroy();
        break;
      }
      parts.push(chunk);
    }
  } catch (err) {
    // The upstream broke off its error body: the client gets what arrived.
    reply.body.destroy(err as Error);
  }
  return Buffer.concat(parts).toString('utf8');
}
