// What applies to one request and its worst case: the counters it touches (every dimension's day
// and month, plus any other window a limit names), the amount each takes, and the output ceiling.
// Limits are data: a new dimension or window shows up here through the vocabulary, not in code.
import type { Config } from '../config/loader.js';
import { createThresholds } from '../limits/thresholds.js';
import { GatewayError } from '../core/errors.js';
import { UTC_CALENDAR, type Calendar } from '../limits/calendar.js';
import { DIMENSION_INFO, LIMIT_NAMES, PARALLEL_LIMIT, type LimitedDimension, type Window } from '../limits/vocabulary.js';
import type { Price } from '../pricing/price-table.js';
import type { ConversationRef, CounterCheck } from '../store/types.js';
import type { Threshold } from '../limits/thresholds.js';
import type { PromptEstimate } from './prompt/prompt-estimate.js';
import { generates, type Endpoint } from '../endpoints/endpoints.js';
import type { RequestFacts } from './request-body.js';

export interface Plan {
  readonly checks: readonly CounterCheck[];
  readonly parallelLimit: number | null;
  readonly promptEstimate: number;
  /** Our own count of the prompt before calibration widened it, or null when it was not counted. */
  readonly promptCounted: number | null;
  /** The output ceiling reserved: the client's, or the configured default. */
  readonly maxOutput: number;
  /** Whether the ceiling must be written into the upstream request (hard mode with a token or spend limit). */
  readonly enforceCeiling: boolean;
  readonly price: Price | null;
  readonly spend: { readonly fixed: number; readonly perOutput: number; readonly priced: boolean };
  readonly conversation: ConversationRef | null;
  /** The user's zone and month anchor: reserve and settle count in this calendar's periods. */
  readonly calendar: Calendar;
}

export interface PlanInput {
  readonly endpoint: Endpoint;
  readonly facts: RequestFacts;
  readonly prompt: PromptEstimate;
  readonly limits: Readonly<Record<string, number>>;
  /** The presenting key's own limits (checked beside the user's, in the same reservation). */
  readonly key?: { readonly id: string; readonly limits: Readonly<Record<string, number>> } | null;
  readonly conversation: ConversationRef | null;
  readonly calendar?: Calendar;
}

const TRACKED_WINDOWS = new Set(['day', 'month']);

/**
 * Whether the prompt's size can change the answer: a token or spend limit, or a conversation
 * (whose tree may have a budget). Without one, nothing is reserved for the prompt, and it is not
 * worth tokenizing.
 */
export function promptMatters(limits: Readonly<Record<string, number>>, conversation: ConversationRef | null): boolean {
  if (conversation !== null) return true;
  for (const l of LIMIT_NAMES) if (DIMENSION_INFO[l.dimension].metered && limits[l.name] !== undefined) return true;
  return false;
}

/** A counter a user's limits make a request touch, before the request's amounts are known. */
interface Touched {
  readonly dimension: LimitedDimension;
  readonly window: Window;
  /** null: not limited, counted for reports (every dimension's day and month). */
  readonly limit: number | null;
  readonly thresholds: readonly Threshold[];
}

/** What a user's (or a key's) limits alone decide of every plan: made once per limits object (a principal keeps its own while cached). */
interface LimitsShape {
  readonly touched: readonly Touched[];
  /** A token or spend limit applies. */
  readonly metered: boolean;
  /** A spend limit applies. */
  readonly money: boolean;
}

export function createPlanner(config: Config) {
  const m = config.metering;
  const thresholds = createThresholds(config.thresholds);
  const userShapes = new WeakMap<Readonly<Record<string, number>>, LimitsShape>();
  const keyShapes = new WeakMap<Readonly<Record<string, number>>, LimitsShape>();
  /**
   * `ofKey`: a key's own limits, checked beside its user's: only its limited counters (the user's
   * count the rest), and no thresholds (events are for the user's own limits).
   */
  const shapeOf = (limits: Readonly<Record<string, number>>, ofKey: boolean): LimitsShape => {
    const shapes = ofKey ? keyShapes : userShapes;
    let shape = shapes.get(limits);
    if (!shape) {
      const touched: Touched[] = [];
      let metered = false;
      let money = false;
      for (const l of LIMIT_NAMES) {
        const limit = limits[l.name];
        if (limit === undefined && (ofKey || !TRACKED_WINDOWS.has(l.window))) continue;
        touched.push({ dimension: l.dimension, window: l.window, limit: limit ?? null, thresholds: limit === undefined || ofKey ? [] : thresholds(l.name, limit) });
        if (limit !== undefined && DIMENSION_INFO[l.dimension].metered) metered = true;
        if (limit !== undefined && DIMENSION_INFO[l.dimension].money) money = true;
      }
      shape = { touched, metered, money };
      shapes.set(limits, shape);
    }
    return shape;
  };
  const unpriced = (model: string) => new GatewayError({ status: 400, code: 'unpriced_model', param: 'model',
    message: `model '${model}' has no price configured, and a spend limit applies` });

  return function plan(input: PlanInput): Plan {
    const { facts, limits, endpoint } = input;
    const price = config.prices.lookup(facts.model);
    const promptEstimate = input.prompt.tokens;
    const maxOutput = generates(endpoint) ? (facts.clientCeiling ?? m.default_max_output_tokens) : 0;
    const per = facts.choices;
    const message = facts.userInitiated ? 1 : 0;
    // The prompt at the dearest rate it can be billed at: a prompt written to a provider's cache
    // (Anthropic) costs more than plain input, and hard mode promises no request ends over a limit.
    const spendFixed = price ? Math.ceil((promptEstimate * Math.max(price.input, price.cacheWrite, price.cacheWrite1h)) / 1_000_000) : 0;
    const spendPer = price ? (Math.max(price.output, price.reasoning) * per) / 1_000_000 : 0;
    const amounts: Record<LimitedDimension, { readonly fixed: number; readonly perOutput: number }> = {
      requests: { fixed: 1, perOutput: 0 },
      messages: { fixed: message, perOutput: 0 },
      credits: { fixed: message, perOutput: 0 },
      tokens: { fixed: promptEstimate, perOutput: per },
      spend_micros: { fixed: spendFixed, perOutput: spendPer },
    };

    const checks: CounterCheck[] = [];
    let meteredLimit = false;
    // The counters of a shape, with this request's amounts. Plain loops and no array destructuring:
    // under load, their iterator results showed in the allocation profile.
    const touch = (shape: LimitsShape, keyId: string | undefined) => {
      if (shape.money && !price && m.unpriced_models === 'reject') throw unpriced(facts.model);
      if (shape.metered) meteredLimit = true;
      for (let i = 0; i < shape.touched.length; i++) {
        const t = shape.touched[i] as Touched;
        const { fixed, perOutput } = amounts[t.dimension];
        checks.push(t.limit === null
          ? { dimension: t.dimension, window: t.window, limit: null, fixed, perOutput }
          : keyId === undefined
            ? { dimension: t.dimension, window: t.window, limit: t.limit, fixed, perOutput, thresholds: t.thresholds }
            : { dimension: t.dimension, window: t.window, limit: t.limit, fixed, perOutput, keyId });
      }
    };
    touch(shapeOf(limits, false), undefined);
    const key = input.key ?? null;
    if (key) touch(shapeOf(key.limits, true), key.id);
    const conversationBudget = input.conversation !== null;
    return {
      checks,
      parallelLimit: limits[PARALLEL_LIMIT] ?? null,
      promptEstimate,
      promptCounted: input.prompt.counted,
      maxOutput,
      enforceCeiling: config.enforcement === 'hard' && generates(endpoint) && (meteredLimit || conversationBudget),
      price,
      spend: { fixed: spendFixed, perOutput: spendPer, priced: price !== null || m.unpriced_models === 'allow' },
      conversation: input.conversation,
      calendar: input.calendar ?? UTC_CALENDAR,
    };
  };
}

export type Planner = ReturnType<typeof createPlanner>;
