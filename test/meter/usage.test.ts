// normalizeUsage: what a provider's usage object is believed to say.
import { describe, expect, it } from 'vitest';
import { MAX_COUNT } from '../../src/meter/usage.js';
import { normalizeUsage } from '../../src/providers/openai/usage.js';

describe('normalizeUsage on counts that cannot be true', () => {
  it.each([
    ['a negative completion beside a good prompt', { prompt_tokens: 5, completion_tokens: -9, total_tokens: 5 }],
    ['a non-numeric total', { prompt_tokens: 5, completion_tokens: 2, total_tokens: 'many' }],
    ['a string count', { input_tokens: '5', output_tokens: 2 }],
    ['every count negative', { prompt_tokens: -1, completion_tokens: -1, total_tokens: -2 }],
  ])('%s: not believed at all (null, so the request is counted from its text)', (_what, raw) => {
    expect(normalizeUsage(raw)).toBeNull();
  });

  it('a null count is one not sent, not a bad one', () => {
    expect(normalizeUsage({ prompt_tokens: 5, completion_tokens: null, total_tokens: 5 })).toMatchObject({ promptTokens: 5, completionTokens: 0, totalTokens: 5 });
  });

  it('an absurd count is capped (the settlement then caps it at the reservation and flags it)', () => {
    expect(normalizeUsage({ prompt_tokens: 1e15, completion_tokens: 5 })).toMatchObject({ promptTokens: MAX_COUNT, completionTokens: 5 });
  });
});
