// Token usage as a provider reported it, in one shape whatever the provider's field names.
// `null` means the provider sent none: "missing" is never read as zero.

export type Api = 'chat' | 'completions' | 'responses' | 'embeddings';

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** total_tokens when reported, else prompt + completion (+ reasoning when it is outside completion). */
  readonly totalTokens: number;
  readonly cachedTokens: number;
  readonly reasoningTokens: number;
  /** False where reasoning tokens are not inside completion tokens (xAI). */
  readonly reasoningIncluded: boolean;
  /** Provider-reported cost in integer micro-USD, rounded up; null when none was reported. */
  readonly costMicros: number | null;
}

/** Counts past this are not believed: they are capped here (and never negative). */
export const MAX_COUNT = 1e12;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A count, or undefined when the field is absent, non-numeric or negative. */
function count(v: unknown): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
  return Math.min(Math.floor(v), MAX_COUNT);
}

function detail(o: Obj, outer: string, inner: string): number | undefined {
  const d = o[outer];
  return isObj(d) ? count(d[inner]) : undefined;
}

/** micro-USD from a provider's cost fields: OpenRouter `cost` (USD), xAI `cost_in_usd_ticks` (1e10 per USD). */
function reportedCost(o: Obj): number | null {
  const ticks = o.cost_in_usd_ticks;
  if (typeof ticks === 'number' && Number.isFinite(ticks) && ticks >= 0) return Math.ceil(ticks / 10_000);
  const usd = o.cost;
  if (typeof usd === 'number' && Number.isFinite(usd) && usd >= 0 && usd < 1e6) return Math.ceil(Math.round(usd * 1e12) / 1e6);
  return null;
}

const COUNT_FIELDS = ['prompt_tokens', 'input_tokens', 'completion_tokens', 'output_tokens', 'total_tokens'] as const;

/** A count the provider sent that cannot be one (negative, non-numeric, not finite); null is "not sent". */
const bogus = (v: unknown) => v !== undefined && v !== null && count(v) === undefined;

/**
 * The provider's usage, or null when it sent none — or sent one with a count that cannot be true:
 * then none of its figures is believed (a negative completion beside a good prompt would under-
 * charge) and the request is counted from its text instead, flagged `estimated`.
 */
export function normalizeUsage(raw: unknown): Usage | null {
  if (!isObj(raw)) return null;
  if (COUNT_FIELDS.some((f) => bogus(raw[f]))) return null;
  const prompt = count(raw.prompt_tokens) ?? count(raw.input_tokens);
  const completion = count(raw.completion_tokens) ?? count(raw.output_tokens);
  const total = count(raw.total_tokens);
  if (prompt === undefined && completion === undefined && total === undefined) return null;
  const p = prompt ?? 0;
  const c = completion ?? 0;
  const reasoning = detail(raw, 'completion_tokens_details', 'reasoning_tokens') ?? detail(raw, 'output_tokens_details', 'reasoning_tokens') ?? 0;
  const cached = detail(raw, 'prompt_tokens_details', 'cached_tokens') ?? detail(raw, 'input_tokens_details', 'cached_tokens')
    ?? count(raw.prompt_cache_hit_tokens) ?? 0;
  // xAI reports reasoning outside completion: total = prompt + completion + reasoning.
  const excluded = reasoning > 0 && total !== undefined && total !== p + c && total === p + c + reasoning;
  return {
    promptTokens: p,
    completionTokens: c,
    totalTokens: total ?? Math.min(p + c + (excluded ? reasoning : 0), MAX_COUNT),
    cachedTokens: Math.min(cached, p),
    reasoningTokens: reasoning,
    reasoningIncluded: !excluded,
    costMicros: reportedCost(raw),
  };
}
