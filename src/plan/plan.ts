// What applies to one request and its worst case: the counters it touches (every dimension's day
// and month, plus any other window a limit names), the amount each takes, and the output ceiling.
// Limits are data: a new dimension or window shows up here through the vocabulary, not in code.
import type { Config } from '../config/loader.js';
import { createThresholds } from '../limits/thresholds.js';
import { GatewayError } from '../core/errors.js';
import { UTC_CALENDAR, type Calendar } from '../limits/calendar.js';
import { DIMENSION_INFO, LIMIT_NAMES, PARALLEL_LIMIT, type LimitedDimension } from '../limits/vocabulary.js';
import type { Price } from '../pricing/price-table.js';
import type { ConversationRef, CounterCheck } from '../store/types.js';
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

export function createPlanner(config: Config) {
  const m = config.metering;
  const thresholds = createThresholds(config.thresholds);
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
    const amounts: Record<LimitedDimension, [number, number]> = {
      requests: [1, 0],
      messages: [message, 0],
      credits: [message, 0],
      tokens: [promptEstimate, per],
      spend_micros: [spendFixed, spendPer],
    };

    const checks: CounterCheck[] = [];
    let meteredLimit = false;
    const key = input.key ?? null;
    const scoped = [...LIMIT_NAMES.map((l) => ({ l, limit: limits[l.name], keyId: undefined })),
      ...(key ? LIMIT_NAMES.filter((l) => key.limits[l.name] !== undefined).map((l) => ({ l, limit: key.limits[l.name], keyId: key.id })) : [])];
    for (const { l, limit, keyId } of scoped) {
      if (limit === undefined && !TRACKED_WINDOWS.has(l.window)) continue;
      const [fixed, perOutput] = amounts[l.dimension];
      // Thresholds (events) are for the user's own limits; a key's limits record none.
      checks.push(limit === undefined
        ? { dimension: l.dimension, window: l.window, limit: null, fixed, perOutput, ...(keyId === undefined ? {} : { keyId }) }
        : keyId === undefined
          ? { dimension: l.dimension, window: l.window, limit, fixed, perOutput, thresholds: thresholds(l.name, limit) }
          : { dimension: l.dimension, window: l.window, limit, fixed, perOutput, keyId });
      if (limit !== undefined && DIMENSION_INFO[l.dimension].metered) meteredLimit = true;
      if (limit !== undefined && DIMENSION_INFO[l.dimension].money && !price && m.unpriced_models === 'reject') {
        throw new GatewayError({ status: 400, code: 'unpriced_model', param: 'model',
          message: `model '${facts.model}' has no price configured, and a spend limit applies` });
      }
    }
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
