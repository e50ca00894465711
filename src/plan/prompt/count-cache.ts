// Counts of long texts seen lately, per encoding. An agent resends its whole history every turn:
// with this, only the messages it has not sent before are tokenized. A token count is a pure
// function of the text, so a hit is exact. Bounded by the characters it holds, per encoding; the
// least recently used text goes first.
import type { Encoding } from './encodings.js';

/** Shorter texts are counted faster than they are looked up and kept. */
export const MIN_CACHED_CHARS = 512;

export function createCountCache(maxChars: number) {
  const maps = new Map<Encoding, { texts: Map<string, number>; chars: number }>();
  const of = (encoding: Encoding) => {
    let m = maps.get(encoding);
    if (!m) maps.set(encoding, (m = { texts: new Map(), chars: 0 }));
    return m;
  };
  return {
    get(encoding: Encoding, text: string): number | undefined {
      if (text.length < MIN_CACHED_CHARS) return undefined;
      const m = maps.get(encoding);
      const n = m?.texts.get(text);
      if (m && n !== undefined) {
        m.texts.delete(text);
        m.texts.set(text, n);
      }
      return n;
    },
    set(encoding: Encoding, text: string, n: number): void {
      if (text.length < MIN_CACHED_CHARS || text.length > maxChars / 4) return;
      const m = of(encoding);
      if (m.texts.has(text)) return;
      m.texts.set(text, n);
      m.chars += text.length;
      for (const old of m.texts.keys()) {
        if (m.chars <= maxChars) break;
        m.texts.delete(old);
        m.chars -= old.length;
      }
    },
  };
}
