// What OpenAI-compatible providers report beyond OpenAI's own usage fields, one function each, so
// the generic reader (usage.ts) and meter never name a provider.
import { count, isObj, type Obj } from '../../meter/usage.js';

/** Groq puts a stream's usage in `x_groq.usage` rather than `usage`. */
export const groqUsage = (chunk: Obj): unknown => (isObj(chunk.x_groq) ? chunk.x_groq.usage : undefined);

/** DeepSeek counts cached prompt tokens in `prompt_cache_hit_tokens`. */
export const deepseekCachedTokens = (raw: Obj): number | undefined => count(raw.prompt_cache_hit_tokens);

/** xAI reports reasoning outside completion: total = prompt + completion + reasoning. */
export const xaiReasoningExcluded = (prompt: number, completion: number, reasoning: number, total: number | undefined): boolean =>
  reasoning > 0 && total !== undefined && total !== prompt + completion && total === prompt + completion + reasoning;

/** micro-USD from a provider's cost fields: OpenRouter `cost` (USD), xAI `cost_in_usd_ticks` (1e10 per USD). */
export function reportedCost(o: Obj): number | null {
  const ticks = o.cost_in_usd_ticks;
  if (typeof ticks === 'number' && Number.isFinite(ticks) && ticks >= 0) return Math.ceil(ticks / 10_000);
  const usd = o.cost;
  if (typeof usd === 'number' && Number.isFinite(usd) && usd >= 0 && usd < 1e6) return Math.ceil(Math.round(usd * 1e12) / 1e6);
  return null;
}
