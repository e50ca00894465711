import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { usageFromJsonBody } from '../../src/meter/json-usage.js';
import { normalizeUsage } from '../../src/providers/openai/usage.js';

const text = (name: string) => readFileSync(new URL(`../fixtures/sse/${name}`, import.meta.url), 'utf8');

describe('usage from a JSON body', () => {
  it('reads a chat completion', () => {
    const { usage, model } = usageFromJsonBody(text('openai-chat.json'), normalizeUsage);
    expect(model).toBe('gpt-4.1-nano-2025-04-14');
    expect(usage).toMatchObject({ promptTokens: 16, completionTokens: 363, totalTokens: 379, cachedTokens: 0, reasoningTokens: 0, costMicros: null });
  });

  it('reads embeddings, which have no completion tokens', () => {
    expect(usageFromJsonBody(text('openai-embeddings.json'), normalizeUsage).usage).toMatchObject({ promptTokens: 8, completionTokens: 0, totalTokens: 8 });
  });

  it('is not fooled by the word usage inside the generated text', () => {
    const body = JSON.stringify({ model: 'm-1', choices: [{ message: { content: 'say "usage": {"prompt_tokens": 999}' } }], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } });
    expect(usageFromJsonBody(body, normalizeUsage)).toMatchObject({ model: 'm-1', usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 } });
    const last = JSON.stringify({ usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, choices: [{ text: 'x \\"usage\\": {}' }] });
    expect(usageFromJsonBody(last, normalizeUsage).usage?.totalTokens).toBe(2);
  });

  it('has no usage for an error body or bad JSON, and an explicit zero stays zero', () => {
    expect(usageFromJsonBody(text('openai-error-429-insufficient-quota.json'), normalizeUsage).usage).toBeNull();
    expect(usageFromJsonBody('{not json', normalizeUsage)).toEqual({ usage: null, model: null });
    expect(usageFromJsonBody('{"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}', normalizeUsage).usage?.totalTokens).toBe(0);
  });
});
