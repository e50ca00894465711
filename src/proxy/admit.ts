// admit: everything a metered request goes through before the upstream is called — read and
// check the body, find who it is for and what it says of itself, plan, reserve (one script call),
// and the body to send. A request the store refuses ends here, having opened no upstream
// connection.
import type { Context } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { principalOf, type EndUserSource } from '../auth/user-auth.js';
import { GatewayError, modelNotAllowed, storeUnavailable } from '../core/errors.js';
import type { Endpoint } from '../endpoints/endpoints.js';
import { forwardedQuery } from '../endpoints/forwarded-query.js';
import { denialError } from '../http/denial.js';
import { limitHeaders } from '../http/limit-headers.js';
import { header, newRequestId } from '../http/request-id.js';
import { calendarFor } from '../limits/user-calendar.js';
import { requestLog } from '../log/logger.js';
import { promptMatters, type Plan, type Planner } from '../plan/plan.js';
import type { PromptEstimator } from '../plan/prompt/prompt-estimate.js';
import { readRequestFacts } from '../plan/request-body.js';
import { createSettlement, type Settlement } from '../settle/settlement.js';
import { StoreNotReached } from '../store/errors.js';
import type { ReserveResult } from '../store/types.js';
import { readConversation } from './conversation.js';
import { parseJsonObject, readBody } from './read-body.js';
import type { UpstreamRouter } from '../upstream/router.js';
import type { Upstream } from '../upstream/upstreams.js';
import { rewriteBody } from './rewrite-body.js';

export interface Admission {
  /** The upstream path: the endpoint's, with the query parameters its row forwards. */
  readonly path: string;
  /** Where it goes: the model's upstream, then its fallbacks. */
  readonly upstreams: readonly Upstream[];
  readonly plan: Plan;
  readonly settlement: Settlement;
  /** Limit headers (and others) for the response. */
  readonly headers: Record<string, string>;
  /** What goes upstream: the client's bytes, with the output ceiling and include_usage written in when needed. */
  readonly body: Buffer;
  /** include_usage was asked for on the client's behalf: its usage-only chunk is hidden. */
  readonly hideUsageChunk: boolean;
  readonly promptBytes: number;
  /** Our count of the prompt, made now if planning did not need one. */
  readonly promptTokens: () => Promise<number>;
}

export interface AdmitDeps {
  readonly app: AppContext;
  readonly plan: Planner;
  readonly estimatePrompt: PromptEstimator;
  readonly endUser: EndUserSource;
  readonly router: UpstreamRouter;
}

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

export async function admit(d: AdmitDeps, endpoint: Endpoint, c: Context<AppEnv>): Promise<Admission> {
  const { app, estimatePrompt } = d;
  const { config, store, clock } = app;
  const requestId = c.get('requestId');
  // The store settles each reservation once per id. A client's own X-Request-Id may repeat, so it
  // names the request (response, upstream, log, ledger) but never keys its reservation.
  const meterId = header(c, 'x-request-id') === requestId ? newRequestId() : requestId;
  // Every line of this request names both ids, so a reservation can be traced to its request.
  const log = meterId === requestId ? c.get('log') : requestLog(app.logger, requestId, meterId);
  c.set('log', log);
  const type = header(c, 'content-type');
  if (type !== undefined && !JSON_TYPE.test(type)) {
    throw new GatewayError({ status: 415, code: 'unsupported_media_type', message: `Content-Type must be application/json, not '${type.slice(0, 100)}'` });
  }
  const path = endpoint.path + forwardedQuery(endpoint.query, c.env.incoming.url ?? '');
  const raw = await readBody(c.env.incoming, config.server.body_limit_bytes);
  const body = parseJsonObject(raw);
  const principal = await principalOf(c, app.principals, body, d.endUser);
  const facts = readRequestFacts(endpoint, body);
  const allowed = principal.user.allowedModels;
  if (allowed && !allowed.includes(facts.model)) throw modelNotAllowed(facts.model);
  const upstreams = d.router.route(endpoint, facts.model);
  const conversation = readConversation((n) => header(c, n));
  const estimate = estimatePrompt(endpoint.api, body, facts.model, promptMatters(principal.limits, conversation));
  const prompt = estimate instanceof Promise ? await estimate : estimate;
  const calendar = calendarFor(principal.calendar, clock.now());
  const p = d.plan({ endpoint, facts, prompt, limits: principal.limits, conversation, calendar,
    key: principal.keyLimits ? { id: principal.keyId, limits: principal.keyLimits } : null });

  const settlementFor = (conversationRoot: string | null) => createSettlement({
    store, journal: app.journal, inFlight: app.inFlight, metrics: app.metrics, calibration: app.calibration, route: endpoint.label, clock, log, prices: config.prices, userId: principal.userId,
    requestId: meterId, shownId: requestId, plan: p, userInitiated: facts.userInitiated, requestedModel: facts.model,
    conversationId: conversation?.id ?? null, conversationRoot,
  });

  let reserved: ReserveResult;
  const headers: Record<string, string> = {};
  const reserveStart = performance.now();
  try {
    reserved = await store.reserve({
      userId: principal.userId, requestId: meterId, checks: p.checks, maxOutput: p.maxOutput,
      minOutput: config.metering.min_output_tokens, mode: config.enforcement, parallelLimit: p.parallelLimit,
      ttlMs: config.metering.reservation_ttl_ms, conversation, spend: p.spend, calendar,
    });
    app.metrics.reserveSeconds((performance.now() - reserveStart) / 1000);
  } catch (e) {
    app.metrics.storeFailure('reserve');
    if (config.fail_mode === 'closed') {
      // A reserve that may have reached the store (a timeout, a reset: Redis may run it late) is
      // released under its id, journaled until that lands; the mark a settle leaves stops the
      // reserve from holding anything if it runs afterwards. Failing open, the request's own
      // settle does the same.
      if (!(e instanceof StoreNotReached)) void settlementFor(null).settle({ outcome: 'released', usage: null, model: null, estimated: false });
      throw storeUnavailable(e);
    }
    // Fail open: serve without a reservation; the settle goes to the journal and is replayed.
    log.warn({ err: (e as Error).message }, 'store unavailable at reserve: serving unmetered (fail mode open)');
    reserved = { ok: true, output: p.maxOutput, states: [], conversationRoot: null };
    headers['x-tollgate-degraded'] = 'store-unavailable';
  }
  const ownHeaders = endpoint.provider.limitHeaders;
  if (!reserved.ok) throw denialError(reserved, { model: facts.model, plan: p }, clock.now(), ownHeaders);

  limitHeaders(reserved.states, clock.now(), headers);
  if (ownHeaders) ownHeaders(reserved.states, clock.now(), headers);
  const ceiling = p.enforceCeiling && (facts.clientCeiling === null || reserved.output < facts.clientCeiling) ? reserved.output : null;
  if (ceiling !== null) headers['x-tollgate-output-ceiling'] = String(ceiling);
  const forceUsage = endpoint.includeUsage && facts.stream && !facts.clientAskedUsage;
  const settlement = settlementFor(reserved.conversationRoot ?? conversation?.id ?? null);

  let upstreamBody: Buffer;
  try {
    upstreamBody = rewriteBody(raw, body, { ceilingFields: endpoint.ceilingFields, ceiling, forceUsage });
  } catch (e) {
    // Refused after the reservation was made: give it back before answering.
    await settlement.settle({ outcome: 'released', usage: null, model: null, estimated: false });
    throw e;
  }
  return {
    path, upstreams, plan: p, settlement, headers, body: upstreamBody, hideUsageChunk: forceUsage, promptBytes: raw.length,
    promptTokens: async () => p.promptCounted ?? (await estimatePrompt(endpoint.api, body, facts.model, true)).counted ?? p.promptEstimate,
  };
}
