// Counting tokens with gpt-tokenizer (a maintained pure-JS port of OpenAI's BPE encodings; the
// fastest of the JS tokenizers measured in issue 22). o200k_base is loaded at start-up
// (preloadEncoding), cl100k_base on first use. Counted on the event loop up to INLINE_CHARS of text (about a
// millisecond at worst, measured: bench/prompt-count.mjs); larger prompts go to a worker
// thread (count-worker.ts) so that a 1 MB prompt does not stall every other request. Texts seen
// lately are not counted again (count-cache.ts).
import { createRequire } from 'node:module';
import { createCountCache, type CountCache } from './count-cache.js';
import { ENCODING_MODULES, type Encoding } from './encodings.js';
import { countInWorker } from './count-worker.js';

type Counter = (text: string) => number;

const require = createRequire(import.meta.url);

const loaded = new Map<Encoding, Counter>();
function counter(encoding: Encoding): Counter {
  let c = loaded.get(encoding);
  if (!c) {
    const m = require(ENCODING_MODULES[encoding]) as { countTokens: Counter };
    c = (text: string) => m.countTokens(text);
    loaded.set(encoding, c);
  }
  return c;
}

/**
 * Loads an encoding now. Loading o200k_base takes 0.2-0.6 s of CPU (and about 56 MB): main.ts does
 * it before listening, so that it does not stall the first request under a limit, and every
 * request and Redis reply queued behind it.
 */
export function preloadEncoding(encoding: Encoding): void {
  counter(encoding)('');
}

/** Text up to this many UTF-16 units (summed over the parts) is counted on the event loop. */
export const INLINE_CHARS = 32 * 1024;

/** Texts shorter than this are kept apart: a stream of one-off short messages does not push out an agent's history. */
const SHORT_TEXT = 512;
/** 8 M characters of recent long texts per encoding (about 16 MB at most), 1 M of short ones. */
const longTexts = createCountCache(8 * 1024 * 1024);
const shortTexts = createCountCache(1024 * 1024);
/** A short text sent again (a system prompt) is found in 0.05 µs instead of counted in 0.7 µs; a new one costs 0.4 µs more (measured). */
const cacheOf = (text: string): CountCache => (text.length < SHORT_TEXT ? shortTexts : longTexts);

function countHere(encoding: Encoding, parts: readonly string[]): number {
  const count = counter(encoding);
  let n = 0;
  for (const p of parts) {
    const c = count(p);
    cacheOf(p).set(encoding, p, c);
    n += c;
  }
  return n;
}

/** Tokens of every part, each counted on its own (a part boundary never merges two tokens). */
export function countParts(encoding: Encoding, parts: readonly string[]): number | Promise<number> {
  let known = 0;
  let chars = 0;
  const todo: string[] = [];
  for (const p of parts) {
    if (p.length === 0) continue;
    const hit = cacheOf(p).get(encoding, p);
    if (hit !== undefined) known += hit;
    else {
      todo.push(p);
      chars += p.length;
    }
  }
  if (chars <= INLINE_CHARS) return known + countHere(encoding, todo);
  return countInWorker(encoding, todo).then((counts) => {
    let n = known;
    todo.forEach((p, i) => {
      const c = counts[i] ?? 0;
      cacheOf(p).set(encoding, p, c);
      n += c;
    });
    return n;
  }, () => known + countHere(encoding, todo)); // a worker that cannot start or died: the count is still owed
}
