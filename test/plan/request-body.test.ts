import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/endpoints/endpoints.js';
import { readRequestFacts } from '../../src/plan/request-body.js';

describe('what a request says about itself', () => {
  it('a chat request whose last message is the user\'s is user-initiated; a tool turn is not', () => {
    const user = readRequestFacts(ENDPOINTS.chat, { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(user.userInitiated).toBe(true);
    const tool = readRequestFacts(ENDPOINTS.chat, { model: 'm', messages: [{ role: 'user', content: 'w?' }, { role: 'assistant', tool_calls: [] }, { role: 'tool', content: 'sunny' }] });
    expect(tool.userInitiated).toBe(false);
  });

  it('a Responses request ending in function_call_output is a tool turn', () => {
    expect(readRequestFacts(ENDPOINTS.responses, { model: 'm', input: 'hi' }).userInitiated).toBe(true);
    expect(readRequestFacts(ENDPOINTS.responses, { model: 'm', input: [{ role: 'user', content: 'hi' }] }).userInitiated).toBe(true);
    expect(readRequestFacts(ENDPOINTS.responses, { model: 'm', input: [{ type: 'function_call_output', call_id: 'c', output: '{}' }] }).userInitiated).toBe(false);
  });

  it('reads the output ceiling from whichever field the API uses, the lowest when two are given', () => {
    expect(readRequestFacts(ENDPOINTS.chat, { model: 'm', messages: [], max_tokens: 50, max_completion_tokens: 70 }).clientCeiling).toBe(50);
    expect(readRequestFacts(ENDPOINTS.responses, { model: 'm', input: 'x', max_output_tokens: 9 }).clientCeiling).toBe(9);
    expect(readRequestFacts(ENDPOINTS.chat, { model: 'm', messages: [] }).clientCeiling).toBeNull();
  });

  it('counts choices', () => {
    const f = readRequestFacts(ENDPOINTS.chat, { model: 'm', n: 3, messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image_url', image_url: { url: 'x' } }] }] });
    expect(f.choices).toBe(3);
  });

  it.each([
    [{ messages: [] }, 'model'],
    [{ model: 'm', messages: [], max_tokens: 0 }, 'max_tokens'],
    [{ model: 'm', messages: [], max_tokens: 1e12 }, 'max_tokens'],
    [{ model: 'm', messages: [], n: 0 }, 'n'],
    [{ model: 'm', messages: [], stream: 1 }, 'stream'],
  ])('refuses %j naming %s', (body, param) => {
    expect(() => readRequestFacts(ENDPOINTS.chat, body)).toThrow(expect.objectContaining({ status: 400, param }));
  });
});
