// The prompt tokens a request reserves. Where the model's tokenizer is known (OpenAI's), its text
// is counted with it; elsewhere with o200k_base, widened by what the model's provider has been
// seen to report (calibration.ts) once it has reported enough, and until then bounded by the
// text's UTF-8 size (no byte-level BPE or byte-fallback tokenizer makes more tokens than bytes).
// A request with no token, spend or conversation limit is not counted at all: its estimate
// reserves nothing, so it takes the byte bound, which costs no tokenizing.
import type { Api } from '../../endpoints/endpoints.js';
import type { Calibration } from './calibration.js';
import { countParts } from './count-tokens.js';
import { encodingOf } from './encodings.js';
import { readPromptContent } from './prompt-content.js';

export interface PromptEstimate {
  /** Prompt tokens to reserve. */
  readonly tokens: number;
  /** Our own count, before any widening: what the provider's report is compared with (null: not counted). */
  readonly counted: number | null;
}

export interface EstimatorOptions {
  readonly tokensPerImage: number;
  readonly tokensPerFile: number;
  readonly bytesPerToken: number;
  /** Reports needed before a model whose tokenizer is not known is estimated from calibration rather than bytes. */
  readonly calibrationSamples: number;
  readonly calibration: Calibration;
}

export function createPromptEstimator(o: EstimatorOptions) {
  return function estimatePrompt(api: Api, body: Record<string, unknown>, model: string, count: boolean): PromptEstimate | Promise<PromptEstimate> {
    const content = readPromptContent(api, body, { model, tokensPerImage: o.tokensPerImage, tokensPerFile: o.tokensPerFile });
    const encoding = encodingOf(model);
    let bytes = 0;
    for (const t of content.texts) bytes += Buffer.byteLength(t);
    const bound = Math.ceil(bytes / o.bytesPerToken) + content.fixed;
    if (!count) return { tokens: bound, counted: null };
    const w = o.calibration.widening(model);
    const finish = (textTokens: number): PromptEstimate => {
      const counted = textTokens + content.fixed;
      if (encoding === null && w.samples < o.calibrationSamples) return { tokens: Math.max(bound, counted), counted };
      return { tokens: Math.max(Math.ceil(counted * w.ratio), counted + w.surplus), counted };
    };
    const n = countParts(encoding ?? 'o200k_base', content.texts);
    return typeof n === 'number' ? finish(n) : n.then(finish);
  };
}

export type PromptEstimator = ReturnType<typeof createPromptEstimator>;
