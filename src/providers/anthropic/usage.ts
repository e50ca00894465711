// An Anthropic Messages usage object in Tollgate's one shape. `input_tokens` excludes the cached
// prompt: the prompt is input + cache writes (`cache_creation_input_tokens`) + cache reads
// (`cache_read_input_tokens`), each priced at its own rate. A response that ran several
// iterations (context compaction) reports each in `usage.iterations`; the top-level figures are
// only the last one's, so the sum over the iterations is what was generated and billed.
import { bogus, count, isObj, MAX_COUNT, type Obj, type Usage } from '../../meter/usage.js';

const COUNT_FIELDS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const;

interface Counts { input: number; output: number; cacheWrite: number; cacheWrite1h: number; cacheRead: number }

function countsOf(raw: Obj): Counts | null {
  if (COUNT_FIELDS.some((f) => bogus(raw[f]))) return null;
  const input = count(raw.input_tokens);
  const output = count(raw.output_tokens);
  if (input === undefined && output === undefined) return null;
  const breakdown = isObj(raw.cache_creation) ? raw.cache_creation : null;
  return {
    input: input ?? 0, output: output ?? 0,
    cacheWrite: count(raw.cache_creation_input_tokens) ?? 0,
    cacheWrite1h: (breakdown ? count(breakdown.ephemeral_1h_input_tokens) : undefined) ?? 0,
    cacheRead: count(raw.cache_read_input_tokens) ?? 0,
  };
}

/** The sum over `iterations`, or null when there are none (or one cannot be believed). */
function iterationsSum(raw: Obj): Counts | null {
  if (!Array.isArray(raw.iterations) || raw.iterations.length === 0) return null;
  const sum: Counts = { input: 0, output: 0, cacheWrite: 0, cacheWrite1h: 0, cacheRead: 0 };
  for (const it of raw.iterations) {
    const c = isObj(it) ? countsOf(it) : null;
    if (!c) return null;
    sum.input += c.input;
    sum.output += c.output;
    sum.cacheWrite += c.cacheWrite;
    sum.cacheWrite1h += c.cacheWrite1h;
    sum.cacheRead += c.cacheRead;
  }
  return sum;
}

export function normalizeAnthropicUsage(raw: unknown): Usage | null {
  if (!isObj(raw)) return null;
  const top = countsOf(raw);
  if (!top) return null;
  const c = iterationsSum(raw) ?? top;
  const cap = (n: number) => Math.min(n, MAX_COUNT);
  const prompt = cap(c.input + c.cacheWrite + c.cacheRead);
  return {
    promptTokens: prompt,
    completionTokens: c.output,
    totalTokens: cap(prompt + c.output),
    cachedTokens: c.cacheRead,
    cacheWriteTokens: c.cacheWrite,
    cacheWrite1hTokens: Math.min(c.cacheWrite1h, c.cacheWrite),
    // Thinking tokens are inside output_tokens and not reported apart.
    reasoningTokens: 0,
    reasoningIncluded: true,
    costMicros: null,
  };
}

/** The usage of a stream so far: message_start's, each field overwritten by what message_delta carries (never summed). */
export function mergeUsage(earlier: Obj | null, later: Obj): Obj {
  return earlier ? { ...earlier, ...later } : later;
}
