// Prompt tokens as OpenAI reports them, computed independently of Tollgate's estimator, for the
// test upstream to report the way a provider does. The tokenizer is js-tiktoken (a separate
// port of OpenAI's tiktoken, not the gpt-tokenizer Tollgate uses); the rules are the ones OpenAI's
// cookbook ("How to count tokens with tiktoken") checks against the API: 3 tokens per message,
// 1 more per name, 3 priming the reply, every string field of a message counted; its
// num_tokens_for_tools for function definitions; and OpenAI's published image formula (85 + 170
// per 512-px tile after fitting in 2048 and a 768 short side; `low`: 85). The cookbook's own
// example, 124 prompt tokens on gpt-4o and 129 on gpt-4 as the API reported them, is a test
// (test/plan/prompt-estimate.test.ts) that holds this reference to the provider.
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';

const encoders = { o200k: new Tiktoken(o200k), cl100k: new Tiktoken(cl100k) };
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function referenceEncoder(model: string): Tiktoken {
  return /^(gpt-4o|gpt-4\.1|gpt-5|o\d)/.test(model) ? encoders.o200k : encoders.cl100k;
}

/** OpenAI's tile formula, from its vision guide (written out here, not imported). */
export function referenceImageTokens(width: number, height: number, detail: 'low' | 'high' | 'auto' = 'auto'): number {
  if (detail === 'low') return 85;
  let w = width;
  let h = height;
  if (Math.max(w, h) > 2048) {
    const r = 2048 / Math.max(w, h);
    w = Math.floor(w * r);
    h = Math.floor(h * r);
  }
  if (Math.min(w, h) > 768) {
    const r = 768 / Math.min(w, h);
    w = Math.floor(w * r);
    h = Math.floor(h * r);
  }
  return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}

/** The cookbook's num_tokens_for_tools, gpt-4o's constants. */
function toolTokens(tools: unknown[], enc: Tiktoken): number {
  const [funcInit, propInit, propKey, enumInit, enumItem, funcEnd] = [7, 3, 3, -3, 3, 12];
  let n = 0;
  for (const t of tools) {
    const f = (isObj(t) && isObj(t.function) ? t.function : t) as Obj;
    n += funcInit;
    const desc = String(f.description ?? '').replace(/\.$/, '');
    n += enc.encode(`${String(f.name)}:${desc}`).length;
    const props = isObj(f.parameters) && isObj(f.parameters.properties) ? f.parameters.properties : {};
    if (Object.keys(props).length > 0) {
      n += propInit;
      for (const [key, p] of Object.entries(props)) {
        const prop = p as Obj;
        n += propKey;
        if (Array.isArray(prop.enum)) {
          n += enumInit;
          for (const item of prop.enum) n += enumItem + enc.encode(String(item)).length;
        }
        n += enc.encode(`${key}:${String(prop.type)}:${String(prop.description ?? '').replace(/\.$/, '')}`).length;
      }
    }
  }
  return tools.length > 0 ? n + funcEnd : n;
}

export interface ImageSizes { readonly [url: string]: { width: number; height: number } }

/** Prompt tokens of a chat request: the cookbook's num_tokens_from_messages (+ tools, + images). */
export function referenceChatTokens(body: Obj, images: ImageSizes = {}): number {
  const enc = referenceEncoder(String(body.model));
  let n = 3;
  for (const m of (body.messages as Obj[]) ?? []) {
    n += 3;
    for (const [k, v] of Object.entries(m)) {
      if (typeof v === 'string') n += enc.encode(v).length + (k === 'name' ? 1 : 0);
      else if (k === 'content' && Array.isArray(v)) {
        for (const part of v as Obj[]) {
          if (part.type === 'text') n += enc.encode(String(part.text)).length;
          else if (part.type === 'image_url') {
            const img = part.image_url as { url: string; detail?: 'low' | 'high' | 'auto' };
            const size = images[img.url];
            if (!size) throw new Error('reference: an image of unknown size');
            n += referenceImageTokens(size.width, size.height, img.detail);
          }
        }
      } else if (k === 'tool_calls' && Array.isArray(v)) {
        for (const c of v as Array<{ function: { name: string; arguments: string } }>) n += enc.encode(c.function.name).length + enc.encode(c.function.arguments).length;
      }
    }
  }
  return n + (Array.isArray(body.tools) ? toolTokens(body.tools, enc) : 0);
}

/** Prompt tokens of an embeddings or completions input: the text's tokens, nothing added. */
export function referenceInputTokens(model: string, input: unknown): number {
  const enc = referenceEncoder(model);
  if (typeof input === 'string') return enc.encode(input).length;
  if (Array.isArray(input)) return input.reduce<number>((n, x) => n + (typeof x === 'number' ? 1 : referenceInputTokens(model, x)), 0);
  return 0;
}
