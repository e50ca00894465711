// Which tokenizer a model uses. OpenAI's models are known: o200k_base from gpt-4o on (gpt-4o,
// gpt-4.1, gpt-4.5, gpt-5, the o-series, gpt-oss), cl100k_base before it (gpt-4, gpt-3.5, the
// text-embedding models). Any other model (Claude, Llama, Gemini, Mistral behind an
// OpenAI-compatible endpoint, or an Azure deployment name) is `null`: its tokenizer is not ours,
// and its estimate is calibrated from what its provider reports (calibration.ts).
import { createRequire } from 'node:module';

export type Encoding = 'o200k_base' | 'cl100k_base';

/** Module paths of gpt-tokenizer's encodings (loaded on first use, here or in the count worker). */
const require = createRequire(import.meta.url);
export const ENCODING_MODULES: Readonly<Record<Encoding, string>> = {
  o200k_base: require.resolve('gpt-tokenizer/encoding/o200k_base'),
  cl100k_base: require.resolve('gpt-tokenizer/encoding/cl100k_base'),
};

const O200K = /^(?:gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o|gpt-oss|codex-|computer-use-|omni-moderation)/;
const CL100K = /^(?:gpt-4(?![o.])|gpt-3\.5|text-embedding-3|text-embedding-ada-002|davinci-002|babbage-002)/;

/** The model's name without a router's provider prefix (`openai/gpt-4o` on OpenRouter). */
export const bareModel = (model: string): string => model.slice(model.lastIndexOf('/') + 1).toLowerCase();

export function encodingOf(model: string): Encoding | null {
  const m = bareModel(model);
  if (O200K.test(m)) return 'o200k_base';
  if (CL100K.test(m)) return 'cl100k_base';
  return null;
}
