// Prices per model, compiled once: integer micro-USD per million tokens, matched by exact name
// first and then by the longest name that prefixes the model (dated snapshots).
import type { Usage } from '../meter/usage.js';

export interface Price {
  /** Micro-USD per million tokens (so cost in micros = tokens × price / 1e6). */
  readonly input: number;
  readonly cachedInput: number;
  /** Writing the provider's prompt cache (Anthropic's 5-minute cache), and for an hour. */
  readonly cacheWrite: number;
  readonly cacheWrite1h: number;
  readonly output: number;
  readonly reasoning: number;
}

export interface PriceTable {
  lookup(model: string): Price | null;
  readonly size: number;
}

export interface RawPrice {
  input: number; cached_input?: number | undefined; cache_write?: number | undefined; cache_write_1h?: number | undefined;
  output: number; reasoning?: number | undefined;
}

const toMicros = (usdPerMillion: number): number => Math.round(usdPerMillion * 1_000_000);

export function createPriceTable(raw: Readonly<Record<string, RawPrice>>): PriceTable {
  const exact = new Map<string, Price>();
  for (const [model, p] of Object.entries(raw)) {
    exact.set(model, Object.freeze({
      input: toMicros(p.input),
      cachedInput: toMicros(p.cached_input ?? p.input),
      cacheWrite: toMicros(p.cache_write ?? p.input),
      cacheWrite1h: toMicros(p.cache_write_1h ?? p.cache_write ?? p.input),
      output: toMicros(p.output),
      reasoning: toMicros(p.reasoning ?? p.output),
    }));
  }
  const byLength = [...exact.keys()].sort((a, b) => b.length - a.length);
  const memo = new Map<string, Price | null>();
  return {
    size: exact.size,
    lookup(model) {
      const hit = exact.get(model) ?? memo.get(model);
      if (hit !== undefined) return hit;
      const prefix = byLength.find((name) => model.startsWith(name));
      const found = prefix ? (exact.get(prefix) ?? null) : null;
      if (memo.size < 10_000) memo.set(model, found);
      return found;
    },
  };
}

/** Cost of a usage in integer micro-USD, rounded up. A cost the provider reported wins. */
export function costMicros(usage: Usage, price: Price | null): number | null {
  if (usage.costMicros !== null) return usage.costMicros;
  if (!price) return null;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const written = Math.min(usage.cacheWriteTokens ?? 0, usage.promptTokens - cached);
  const written1h = Math.min(usage.cacheWrite1hTokens ?? 0, written);
  const reasoning = usage.reasoningTokens;
  const plainOutput = usage.reasoningIncluded ? Math.max(0, usage.completionTokens - reasoning) : usage.completionTokens;
  const total = (usage.promptTokens - cached - written) * price.input + cached * price.cachedInput
    + (written - written1h) * price.cacheWrite + written1h * price.cacheWrite1h
    + plainOutput * price.output + reasoning * price.reasoning;
  return Math.ceil(total / 1_000_000);
}
