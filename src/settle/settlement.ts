// Settles one request exactly once, whichever exit path gets there first (end of stream, client
// abort, upstream error). A settle the store refuses is retried in the background with backoff,
// and logged with everything needed to apply it by hand if it never lands.
import type { Logger } from 'pino';
import type { Usage } from '../meter/usage.js';
import type { Plan } from '../plan/plan.js';
import type { PriceTable } from '../pricing/price-table.js';
import type { Outcome, SettleRequest, Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { chargeFor, NOTHING } from './amounts.js';

export interface SettlementContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly prices: PriceTable;
  readonly userId: string;
  readonly requestId: string;
  readonly plan: Plan;
  readonly userInitiated: boolean;
  readonly requestedModel: string;
  readonly conversationId: string | null;
  readonly conversationRoot: string | null;
}

export interface SettleOutcome {
  readonly outcome: Outcome;
  /** Usage to charge, or null to charge nothing (a failure before any output). */
  readonly usage: Usage | null;
  readonly model: string | null;
  readonly estimated: boolean;
}

export interface Settlement {
  settle(o: SettleOutcome): Promise<void>;
  readonly settled: boolean;
}

const RETRIES = [200, 1000, 5000, 15_000, 60_000];

export function createSettlement(ctx: SettlementContext): Settlement {
  let settled = false;

  function request(o: SettleOutcome): SettleRequest {
    const model = o.model ?? ctx.requestedModel;
    const charge = o.usage ? chargeFor(o.usage, { userInitiated: ctx.userInitiated, model, prices: ctx.prices, fallback: ctx.plan.price }) : null;
    return {
      userId: ctx.userId,
      requestId: ctx.requestId,
      checks: ctx.plan.checks,
      actual: charge?.amounts ?? NOTHING,
      conversationRoot: ctx.conversationRoot,
      record: {
        requestId: ctx.requestId, time: ctx.clock.now(), user: ctx.userId, model, conversation: ctx.conversationId,
        promptTokens: o.usage?.promptTokens ?? 0, completionTokens: o.usage?.completionTokens ?? 0,
        cachedTokens: o.usage?.cachedTokens ?? 0, reasoningTokens: o.usage?.reasoningTokens ?? 0,
        costMicros: charge?.costMicros ?? 0, outcome: o.outcome, estimated: o.estimated,
      },
    };
  }

  async function attempt(req: SettleRequest, n: number): Promise<void> {
    try {
      await ctx.store.settle(req);
    } catch (err) {
      const delay = RETRIES[n];
      if (delay === undefined) {
        ctx.log.error({ err, settle: req }, 'settle failed for good: charge not applied');
        return;
      }
      ctx.log.warn({ err, attempt: n + 1 }, 'settle failed, will retry');
      setTimeout(() => void attempt(req, n + 1), delay).unref();
    }
  }

  return {
    get settled() {
      return settled;
    },
    async settle(o) {
      if (settled) return;
      settled = true;
      const req = request(o);
      ctx.log.info({
        outcome: o.outcome, model: req.record.model, estimated: o.estimated,
        reserved: { promptTokens: ctx.plan.promptEstimate, maxOutput: ctx.plan.maxOutput },
        actual: { tokens: req.actual.tokens, spendMicros: req.actual.spend_micros, credits: req.actual.credits },
      }, 'request settled');
      await attempt(req, 0);
    },
  };
}
