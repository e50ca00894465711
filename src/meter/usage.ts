// Token usage as a provider reported it, in one shape whatever the provider's field names (each
// provider's reader is in providers/<kind>/usage.ts). `null` means the provider sent none:
// "missing" is never read as zero.

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** total_tokens when reported, else prompt + completion (+ reasoning when it is outside completion). */
  readonly totalTokens: number;
  /** Prompt tokens read from the provider's cache (inside promptTokens), priced at its cached rate. */
  readonly cachedTokens: number;
  /** Prompt tokens written to the provider's cache (inside promptTokens; Anthropic), priced at its cache-write rate; absent: none. */
  readonly cacheWriteTokens?: number;
  /** Of those, written for an hour (Anthropic's 1h cache, its own rate). */
  readonly cacheWrite1hTokens?: number;
  readonly reasoningTokens: number;
  /** False where reasoning tokens are not inside completion tokens (xAI). */
  readonly reasoningIncluded: boolean;
  /** Provider-reported cost in integer micro-USD, rounded up; null when none was reported. */
  readonly costMicros: number | null;
}

/** Counts past this are not believed: they are capped here (and never negative). */
export const MAX_COUNT = 1e12;

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An SSE event's data as a JSON object, or null when it is not one (garbage is the upstream's, not ours). */
export function parseObject(data: string): Obj | null {
  try {
    const o: unknown = JSON.parse(data);
    return isObj(o) ? o : null;
  } catch {
    return null;
  }
}

/** A count, or undefined when the field is absent, non-numeric or negative. */
export function count(v: unknown): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
  return Math.min(Math.floor(v), MAX_COUNT);
}

/** A count the provider sent that cannot be one (negative, non-numeric, not finite); null is "not sent". */
export const bogus = (v: unknown): boolean => v !== undefined && v !== null && count(v) === undefined;
