// Counting tokens with gpt-tokenizer (a maintained pure-JS port of OpenAI's BPE encodings; the
// fastest of the JS tokenizers measured in issue 22). Both encodings are loaded on first use, so
// start-up pays nothing. Counted on the event loop up to INLINE_CHARS of text (about a
// millisecond at worst, measured: bench/prompt-count.mjs); larger prompts go to a worker
// thread (count-worker.ts) so that a 1 MB prompt does not stall every other request.
import { createRequire } from 'node:module';
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

/** Text up to this many UTF-16 units (summed over the parts) is counted on the event loop. */
export const INLINE_CHARS = 32 * 1024;

/** Tokens of every part, each counted on its own (a part boundary never merges two tokens). */
export function countNow(encoding: Encoding, parts: readonly string[]): number {
  const count = counter(encoding);
  let n = 0;
  for (const p of parts) if (p.length > 0) n += count(p);
  return n;
}

export function countParts(encoding: Encoding, parts: readonly string[], chars: number): number | Promise<number> {
  if (chars <= INLINE_CHARS) return countNow(encoding, parts);
  // A worker that cannot be started or died: the count is still owed, so it is made here.
  return countInWorker(encoding, parts).catch(() => countNow(encoding, parts));
}
