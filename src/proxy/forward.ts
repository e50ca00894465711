// Sends a reserved request upstream and answers with what comes back, metering on the way.
// Every exit path settles exactly once and releases its listener: an upstream that cannot be
// reached or answers with an error costs nothing but its count in the request rates; a stream is
// charged what the provider reported, or — cut short without a report — the tokens counted in
// what was sent and streamed.
import { EventEmitter } from 'node:events';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../app-types.js';
import { GatewayError, upstreamTimeout } from '../core/errors.js';
import { usageFromJsonBody } from '../meter/json-usage.js';
import { createSseMeter } from '../meter/sse-meter.js';
import { countUsage } from '../meter/token-count.js';
import type { Usage } from '../meter/usage.js';
import type { Api } from '../plan/request-body.js';
import { roughUsage } from '../settle/amounts.js';
import type { SettleOutcome, Settlement } from '../settle/settlement.js';
import { upstreamError, type UpstreamReply } from '../upstream/client.js';
import { clientHeaders, upstreamHeaders } from '../upstream/headers.js';
import { redactHeaders, redactSecret } from '../upstream/redact.js';
import { Collector, writeToClient, type RelayEnd } from './client-writer.js';

export interface ForwardOptions {
  readonly deps: Deps;
  readonly c: Context<AppEnv>;
  readonly api: Api;
  readonly path: string;
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

export async function forward(o: ForwardOptions): Promise<Response> {
  const { deps, c, settlement } = o;
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
    reply = await deps.upstream.call({
      method: 'POST', path: o.path, body: o.body, signal: abort.emitter,
      headers: Object.assign(upstreamHeaders(c.env.incoming.headers, deps.config.upstream, requestId, deps.config.auth.end_user_header), { 'content-type': 'application/json' }),
    });
  } catch (e) {
    end();
    void settlement.settle({ outcome: !sent ? 'released' : clientGone ? 'aborted' : 'upstream_error', usage: null, model: null, estimated: false });
    if (e instanceof GatewayError) throw e;
    if (timedOut) throw upstreamTimeout(e);
    throw upstreamError(e, clientGone);
  }
  firstByteMs = Math.round(performance.now() - started);
  deps.metrics.upstreamFirstByte(o.api, firstByteMs / 1000);

  // Tollgate's headers over the upstream's, added to the object clientHeaders just made (no copies).
  const withOurs = (upstream: Record<string, string>): Record<string, string> => {
    Object.assign(upstream, o.headers);
    upstream['x-request-id'] = requestId;
    return upstream;
  };
  if (reply.status >= 400) {
    const secret = deps.config.upstream.api_key;
    const text = redactSecret(await readLimited(reply, ERROR_BODY_LIMIT), secret);
    end();
    void settlement.settle({ outcome: 'upstream_error', usage: null, model: null, estimated: false, timings: timings() });
    return new Response(text, { status: reply.status, headers: withOurs(redactHeaders(clientHeaders(reply.headers, false), secret)) });
  }

  const contentType = String(reply.headers['content-type'] ?? '');
  const isSse = contentType.startsWith('text/event-stream');
  // A 2xx that is neither JSON nor SSE (an HTML page from a proxy in front of the provider) is not
  // a model's answer: the client gets it as it is, and it costs nothing.
  const notAnAnswer = !isSse && !contentType.includes('json');
  const meter = isSse ? createSseMeter({ api: o.api, hideUsageChunk: o.hideUsageChunk }) : null;
  const collector = isSse ? null : new Collector(deps.config.upstream.max_response_bytes);
  const counted = async (outputText: string): Promise<Usage> => countUsage({ promptTokens: await o.promptTokens(), outputText });

  /** What the request used: the provider's figures, or a count of what was generated. */
  const measure = (how: RelayEnd): Pick<SettleOutcome, 'usage' | 'model' | 'estimated'> => {
    if (meter) {
      const r = meter.report();
      if (r.usage) return { usage: r.usage, model: r.model, estimated: false };
      // Once the upstream has streamed anything, it has processed the prompt: charge a count.
      if (r.events === 0 && !r.sawOutput) return { usage: null, model: r.model, estimated: false };
      return { usage: counted(r.outputText), model: r.model, estimated: true };
    }
    const body = collector as Collector;
    if (notAnAnswer) return { usage: null, model: null, estimated: false };
    // Headers and then not one byte before it broke off: like a stream with no event, it costs nothing.
    if (how !== 'done' && body.bytes === 0) return { usage: null, model: null, estimated: false };
    if (body.overflowed) return { usage: roughUsage(o.promptBytes, body.bytes), model: null, estimated: true };
    const text = body.text();
    if (how === 'done') {
      const found = usageFromJsonBody(text, o.api);
      if (found.usage) return { ...found, estimated: false };
    }
    // A body with no usage, or cut short: the upstream did the work, so count it.
    return { usage: counted(text), model: null, estimated: true };
  };

  const finish = (how: RelayEnd, error?: unknown) => {
    end();
    if (how === 'upstream_error') c.get('log').warn({ err: error }, 'upstream failed mid-response');
    const outcome = how === 'client_abort' ? 'aborted' : how === 'upstream_error' || notAnAnswer ? 'upstream_error' : 'ok';
    deps.metrics.requestSeconds(o.api, (performance.now() - started) / 1000);
    void settlement.settle({ outcome, ...measure(how), timings: timings() });
  };

  writeToClient({
    outgoing, status: reply.status, reply, tap: meter ?? (collector as NonNullable<typeof collector>), onEnd: finish,
    tooLarge: () => collector?.overflowed === true,
    headers: withOurs(clientHeaders(reply.headers, !isSse && !o.hideUsageChunk)), flushHeaders: isSse,
  });
  return RESPONSE_ALREADY_SENT;
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
