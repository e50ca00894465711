// Sends a reserved request upstream and answers with what comes back, metering on the way.
// Every exit path settles: an upstream that cannot be reached or answers with an error costs
// nothing; a stream is charged what the provider reported, or what was streamed when it was cut
// short without a report.
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../app-types.js';
import type { GatewayError } from '../http/errors.js';
import { createSseMeter } from '../meter/sse-meter.js';
import { usageFromJsonBody } from '../meter/json-usage.js';
import type { Api } from '../plan/request-body.js';
import { estimateUsage } from '../settle/amounts.js';
import type { SettleOutcome, Settlement } from '../settle/settlement.js';
import { upstreamError, type UpstreamReply } from '../upstream/client.js';
import { clientHeaders, upstreamHeaders } from '../upstream/headers.js';
import { createCollector, relay, type RelayEnd } from './relay.js';

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
  readonly promptBytes: number;
}

const ERROR_BODY_LIMIT = 1024 * 1024;

export async function forward(o: ForwardOptions): Promise<Response> {
  const { deps, c, settlement } = o;
  const requestId = c.get('requestId');
  const abort = new AbortController();
  const clientSignal = c.req.raw.signal;
  const onClientAbort = () => abort.abort();
  clientSignal.addEventListener('abort', onClientAbort, { once: true });
  const detach = () => clientSignal.removeEventListener('abort', onClientAbort);

  let reply: UpstreamReply;
  try {
    reply = await deps.upstream.call({
      method: 'POST', path: o.path, body: o.body, signal: abort.signal,
      headers: { ...upstreamHeaders(c.env.incoming.headers, deps.config.upstream.api_key, requestId), 'content-type': 'application/json' },
    });
  } catch (e) {
    detach();
    const failure = (e as GatewayError).status ? (e as GatewayError) : upstreamError(e, abort.signal);
    await settlement.settle({ outcome: clientSignal.aborted ? 'aborted' : 'upstream_error', usage: null, model: null, estimated: false });
    throw failure;
  }

  const base = { ...o.headers, 'x-request-id': requestId };
  if (reply.status >= 400) {
    const text = await readLimited(reply, ERROR_BODY_LIMIT);
    detach();
    await settlement.settle({ outcome: 'upstream_error', usage: null, model: null, estimated: false });
    return new Response(text, { status: reply.status, headers: { ...clientHeaders(reply.headers, false), ...base } });
  }

  const contentType = String(reply.headers['content-type'] ?? '');
  const isSse = contentType.startsWith('text/event-stream');
  const meter = isSse ? createSseMeter({ api: o.api, hideUsageChunk: o.hideUsageChunk }) : null;
  const collector = isSse ? null : createCollector(deps.config.upstream.max_response_bytes);

  /** What the request used: the provider's figures, or an estimate from what was generated. */
  const measure = (how: RelayEnd): Pick<SettleOutcome, 'usage' | 'model' | 'estimated'> => {
    if (meter) {
      const r = meter.report();
      if (r.usage) return { usage: r.usage, model: r.model, estimated: false };
      if (!r.sawOutput) return { usage: null, model: r.model, estimated: false };
      return { usage: estimateUsage(o.promptBytes, r.outputText.length), model: r.model, estimated: true };
    }
    const body = collector as ReturnType<typeof createCollector>;
    if (how === 'done' && !body.overflowed) {
      const found = usageFromJsonBody(body.text(), o.api);
      if (found.usage) return { ...found, estimated: false };
    }
    // A body with no usage, cut short, or too large to read: the upstream did the work, so estimate.
    return { usage: estimateUsage(o.promptBytes, body.bytes), model: null, estimated: true };
  };

  const finish = (how: RelayEnd, error?: unknown) => {
    detach();
    if (how === 'upstream_error') c.get('log').warn({ err: error }, 'upstream failed mid-response');
    const outcome = how === 'done' ? 'ok' : how === 'client_abort' ? 'aborted' : 'upstream_error';
    void settlement.settle({ outcome, ...measure(how) });
  };

  const stream = relay({ reply, tap: meter ?? (collector as NonNullable<typeof collector>), abort: () => abort.abort(), onEnd: finish });
  const headers: Record<string, string> = { ...clientHeaders(reply.headers, !isSse && !o.hideUsageChunk), ...base };
  if (isSse) headers['transfer-encoding'] = 'chunked';
  return new Response(stream, { status: reply.status, headers });
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
    // The upstream broke off its error body: the client gets what arrived, the log says why.
    reply.body.destroy(err as Error);
  }
  return Buffer.concat(parts).toString('utf8');
}
