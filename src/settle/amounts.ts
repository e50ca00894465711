// From what the upstream reported (or what was streamed, when it reported nothing) to the
// amounts a settle charges. "Missing" and "zero" differ: only a missing usage is estimated.
import type { Usage } from '../meter/usage.js';
import { costMicros, type Price, type PriceTable } from '../pricing/price-table.js';
import { DIMENSIONS, type Dimension } from '../limits/vocabulary.js';
import type { Amounts, Outcome } from '../store/types.js';

export const NOTHING: Amounts = Object.freeze(Object.fromEntries(DIMENSIONS.map((d) => [d, 0])) as Record<Dimension, number>);

/**
 * What a request counts whatever it cost. Request rates count every request Tollgate sent upstream,
 * failed or not: they protect the upstream (and the operator's rate limit there) from one user's
 * flood. A request given back before it was sent (`released`) counts nothing. A failure is also
 * counted apart (`failed_requests`), for reports.
 */
export function countedRequests(outcome: Outcome): Amounts {
  if (outcome === 'released' || outcome === 'reset') return NOTHING;
  return { ...NOTHING, requests: 1, failed_requests: outcome === 'upstream_error' ? 1 : 0 };
}

const CHARS_PER_TOKEN = 4;

/** A rough usage, for a body too large to count token by token: about four bytes a token. */
export function roughUsage(promptBytes: number, outputChars: number): Usage {
  const promptTokens = Math.ceil(promptBytes / CHARS_PER_TOKEN);
  const completionTokens = Math.ceil(outputChars / CHARS_PER_TOKEN);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: 0,
    reasoningTokens: 0, reasoningIncluded: true, costMicros: null };
}

export interface Charge {
  readonly amounts: Amounts;
  readonly costMicros: number;
}

export function chargeFor(usage: Usage, opts: { outcome: Outcome; userInitiated: boolean; model: string | null; prices: PriceTable; fallback: Price | null }): Charge {
  const price = (opts.model ? opts.prices.lookup(opts.model) : null) ?? opts.fallback;
  const cost = costMicros(usage, price) ?? 0;
  const message = opts.userInitiated ? 1 : 0;
  return {
    amounts: { ...countedRequests(opts.outcome), messages: message, credits: message, tokens: usage.totalTokens, spend_micros: cost },
    costMicros: cost,
  };
}
