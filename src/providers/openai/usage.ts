// An OpenAI-compatible usage object (Chat Completions `prompt_tokens`…, Responses `input_tokens`…)
// in Tollgate's one shape, with the quirks of the providers that speak it (quirks.ts).
import { bogus, count, isObj, MAX_COUNT, type Obj, type Usage } from '../../meter/usage.js';
import { deepseekCachedTokens, reportedCost, xaiReasoningExcluded } from './quirks.js';

function detail(o: Obj, outer: string, inner: string): number | undefined {
  const d = o[outer];
  return isObj(d) ? count(d[inner]) : undefined;
}

const COUNT_FIELDS = ['prompt_tokens', 'input_tokens', 'completion_tokens', 'output_tokens', 'total_tokens'] as const;

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
    ?? deepseekCachedTokens(raw) ?? 0;
  const excluded = xaiReasoningExcluded(p, c, reasoning, total);
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
