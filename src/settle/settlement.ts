// Settles one request exactly once, whichever exit path gets there first (end of stream, client
// abort, upstream error). A settle the store refuses goes to the durable journal and is
// replayed when the store is back; settle is idempotent, so nothing is lost or charged twice.
import type { RequestLog } from '../log/logger.js';
import type { Usage } from '../meter/usage.js';
import type { Plan } from '../plan/plan.js';
import type { Calibration } from '../plan/prompt/calibration.js';
import type { PriceTable } from '../pricing/price-table.js';
import type { Metrics } from '../metrics/metrics.js';
import type { InFlight } from '../core/in-flight.js';
import type { CounterCheck, Outcome, SettleRequest, Store } from '../store/types.js';
import type { Clock } from '../core/clock.js';
import { chargeFor, countedRequests } from './amounts.js';
import type { Journal } from './journal.js';

export interface SettlementContext {
  readonly store: Store;
  readonly journal: Journal;
  readonly inFlight: InFlight;
  readonly metrics: Metrics;
  /** Learns from the provider's prompt_tokens how far our prompt count was off for this model. */
  readonly calibration: Calibration;
  /** The API route, for metrics. */
  readonly route: string;
  readonly clock: Clock;
  readonly log: RequestLog;
  readonly prices: PriceTable;
  readonly userId: string;
  /** The id the store settles this request under: unique to it. */
  readonly requestId: string;
  /** The id the client, the upstream and the log know it by (the client's X-Request-Id, which may repeat): the ledger's. */
  readonly shownId?: string;
  readonly plan: Plan;
  readonly userInitiated: boolean;
  readonly requestedModel: string;
  readonly conversationId: string | null;
  /** The tree's root when the reservation found it, else the conversation id (the store resolves it). */
  readonly conversationRoot: string | null;
}

export interface SettleOutcome {
  readonly outcome: Outcome;
  /** Usage to charge (or a count still being made), or null to charge nothing. */
  readonly usage: Usage | null | Promise<Usage | null>;
  readonly model: string | null;
  readonly estimated: boolean;
  /** The upstream that answered (named when several are configured). */
  readonly upstream?: string | undefined;
  /** Time to the upstream's response headers, and to the end of the response, in ms (for the log line). */
  readonly timings?: { readonly firstByteMs: number | null; readonly totalMs: number };
}

export interface Settlement {
  /** Settles once; later calls do nothing. The returned promise never rejects. */
  settle(o: SettleOutcome): Promise<void>;
}

/** A failure is counted apart in every window its request is counted in (reported, never limited). */
function withFailedCounts(checks: readonly CounterCheck[]): CounterCheck[] {
  const failed = checks.filter((c) => c.dimension === 'requests')
    .map((c): CounterCheck => ({ dimension: 'failed_requests', window: c.window, limit: null, fixed: 0, perOutput: 0 }));
  return [...checks, ...failed];
}

/** No single request is believed to use more tokens than this unless it reserved a quarter of it. */
const SANE_TOKENS = 2_000_000;

export function createSettlement(ctx: SettlementContext): Settlement {
  let settled = false;

  /** A usage far past what was reserved is not believed: it is capped at the reservation and flagged. */
  function believable(usage: Usage | null): { usage: Usage | null; anomaly: string | null } {
    if (!usage) return { usage, anomaly: null };
    const tokens = ctx.plan.checks.find((c) => c.dimension === 'tokens');
    const reserved = tokens ? tokens.fixed + Math.ceil(tokens.perOutput * ctx.plan.maxOutput) : ctx.plan.promptEstimate + ctx.plan.maxOutput;
    if (usage.totalTokens <= Math.max(4 * reserved, SANE_TOKENS)) return { usage, anomaly: null };
    const promptTokens = Math.min(usage.promptTokens, reserved);
    const capped: Usage = { ...usage, promptTokens, completionTokens: Math.min(usage.completionTokens, reserved - promptTokens),
      totalTokens: reserved, cachedTokens: Math.min(usage.cachedTokens, promptTokens), cacheWriteTokens: 0, cacheWrite1hTokens: 0,
      reasoningTokens: 0, reasoningIncluded: true, costMicros: null };
    ctx.log.warn({ reported: usage.totalTokens, charged: reserved }, 'provider reported an absurd usage: capped at the reservation');
    return { usage: capped, anomaly: 'usage_capped' };
  }

  function request(o: SettleOutcome, reported: Usage | null): SettleRequest {
    const { usage, anomaly } = believable(reported);
    const model = o.model ?? ctx.requestedModel;
    const charge = usage ? chargeFor(usage, { outcome: o.outcome, userInitiated: ctx.userInitiated, model, prices: ctx.prices, fallback: ctx.plan.price }) : null;
    const actual = charge?.amounts ?? countedRequests(o.outcome);
    return {
      userId: ctx.userId,
      requestId: ctx.requestId,
      checks: (actual.failed_requests ?? 0) > 0 ? withFailedCounts(ctx.plan.checks) : ctx.plan.checks,
      actual,
      conversationRoot: ctx.conversationRoot,
      calendar: ctx.plan.calendar,
      record: {
        requestId: ctx.shownId ?? ctx.requestId,
        ...(ctx.shownId === undefined || ctx.shownId === ctx.requestId ? {} : { reservationId: ctx.requestId }),
        time: ctx.clock.now(), user: ctx.userId, model, conversation: ctx.conversationId,
        promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0,
        cachedTokens: usage?.cachedTokens ?? 0, reasoningTokens: usage?.reasoningTokens ?? 0,
        ...(usage?.cacheWriteTokens ? { cacheWriteTokens: usage.cacheWriteTokens } : {}),
        costMicros: charge?.costMicros ?? 0, outcome: o.outcome, estimated: o.estimated && usage !== null, anomaly,
        ...(o.upstream === undefined ? {} : { upstream: o.upstream }),
      },
    };
  }

  async function run(o: SettleOutcome): Promise<void> {
    let usage: Usage | null = null;
    try {
      usage = await o.usage;
    } catch (err) {
      ctx.log.error({ err }, 'usage count failed; settling with no usage');
    }
    const req = request(o, usage);
    if (usage && !o.estimated && !req.record.anomaly && ctx.plan.promptCounted !== null) {
      ctx.calibration.observe(ctx.requestedModel, ctx.plan.promptCounted, usage.promptTokens);
    }
    if (ctx.log.isLevelEnabled('info')) ctx.log.info({
      userId: ctx.userId,
      outcome: o.outcome, model: req.record.model, estimated: req.record.estimated,
      reserved: { promptTokens: ctx.plan.promptEstimate, maxOutput: ctx.plan.maxOutput },
      actual: { tokens: req.actual.tokens, spendMicros: req.actual.spend_micros, credits: req.actual.credits },
      upstream: o.timings ?? null,
    }, 'request settled');
    ctx.metrics.settled(ctx.route, o.outcome, req.record.model, req.actual.tokens, req.actual.spend_micros);
    try {
      if ((await ctx.store.settle(req, { confirm: true })).replicated === false) {
        // Applied, but no replica confirmed it: a failover now could lose it. Replayed from the
        // journal (a settle applies once), it lands on whichever master holds the slot by then.
        ctx.log.warn({ userId: ctx.userId }, 'settle not confirmed by a replica in time: journaled for a replay');
        await appendToJournal(req);
      }
    } catch (err) {
      ctx.metrics.storeFailure('settle');
      ctx.log.warn({ err: (err as Error).message }, 'store unavailable at settle: charge journaled for replay');
      await appendToJournal(req);
    }
  }

  async function appendToJournal(req: SettleRequest): Promise<void> {
    try {
      await ctx.journal.append(req);
    } catch (journalErr) {
      ctx.log.error({ err: journalErr, settle: req }, 'journal append failed: charge not applied');
    }
  }

  return {
    settle(o) {
      if (settled) return Promise.resolve();
      settled = true;
      const p = run(o);
      ctx.inFlight.track(p);
      return p;
    },
  };
}
