// Counting: the worker and the event loop count alike, and a text sent again is not counted again.
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { createCountCache, ENTRY_CHARS } from '../../../src/plan/prompt/count-cache.js';
import { countParts, INLINE_CHARS } from '../../../src/plan/prompt/count-tokens.js';
import { code, english, russian } from '../../support/prompt-samples.js';

describe('counting prompt text', () => {
  it('a prompt past the inline bound is counted in the worker, to the same figure', async () => {
    const parts = [english(30_000, 41), code(20_000, 42), russian(10_000, 43)];
    expect(parts.reduce((n, p) => n + p.length, 0)).toBeGreaterThan(INLINE_CHARS);
    const counted = countParts('o200k_base', parts);
    expect(counted).toBeInstanceOf(Promise);
    expect(await counted).toBe(parts.reduce((n, p) => n + countTokens(p), 0));
    // Sent again: every part is known, nothing goes to the worker.
    expect(countParts('o200k_base', parts)).toBe(await counted);
  });

  it('the cache is exact per encoding, keeps short texts, and forgets a text unused while half its bound of others came', () => {
    // Half the bound holds two texts of 600 characters; texts up to a quarter of it are kept.
    const cache = createCountCache(4 * (600 + ENTRY_CHARS));
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((seed) => english(700, seed).slice(0, 600) as string) as [string, string, string, string, string];
    cache.set('o200k_base', a, 10);
    cache.set('o200k_base', b, 20);
    expect(cache.get('cl100k_base', a)).toBeUndefined();
    expect(cache.get('o200k_base', a)).toBe(10);
    cache.set('o200k_base', c, 30); // a and b are now the older generation
    expect(cache.get('o200k_base', a)).toBe(10); // used: a goes back to the recent one, beside c
    cache.set('o200k_base', d, 40); // c and a become the older generation; b, unused, goes
    expect(cache.get('o200k_base', b)).toBeUndefined();
    expect([a, c, d].map((t) => cache.get('o200k_base', t))).toEqual([10, 30, 40]);
    cache.set('o200k_base', e, 50);
    expect(cache.get('o200k_base', e)).toBe(50);
    cache.set('o200k_base', english(4000, 6), 60); // longer than a quarter of the bound: not kept
    expect(cache.get('o200k_base', english(4000, 6))).toBeUndefined();
    cache.set('o200k_base', 'You are a helpful assistant.', 6); // a system prompt sent with every request
    expect(cache.get('o200k_base', 'You are a helpful assistant.')).toBe(6);
  });
});
