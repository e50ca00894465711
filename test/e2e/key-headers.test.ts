// Where a user's key is read, on a gateway serving both wire formats: Authorization: Bearer on
// every route; Anthropic's x-api-key on Anthropic's routes (/v1/messages, count_tokens) and the
// shared ones (/v1/models, /v1/quota), not on OpenAI's, which say what to send instead.
import Anthropic from '@anthropic-ai/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import { createMemoryStore } from '../../src/store/memory.js';

const HI = [{ role: 'user' as const, content: 'hi' }];

describe('the key\'s header, by the route\'s wire format', () => {
  // Claude models to the Anthropic upstream, the rest to the OpenAI one.
  const gw = e2eSuite(() => ({ store: createMemoryStore(), anthropic: { models: ['claude-*'] } }));
  let key: string;

  beforeAll(async () => {
    key = await gw.userWithKey('two-formats', { requests_per_day: 100 });
  });

  const post = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(gw.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('OpenAI\'s routes take Bearer, and refuse a key sent only in x-api-key with a 401 that says to send Bearer', async () => {
    const client = gw.openai(key);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: HI });
    const before = gw.upstream.state.requests.length;
    for (const path of ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses']) {
      const r = await post(path, { 'x-api-key': key }, { model: 'gpt-4o-mini', messages: HI, prompt: 'hi', input: 'hi' });
      expect(r.status, path).toBe(401);
      const e = ((await r.json()) as { error: { code: string; message: string } }).error;
      expect(e.code).toBe('invalid_api_key');
      expect(e.message).toBe('This route takes its API key in an Authorization: Bearer header, as OpenAI\'s API does; x-api-key is read only on Anthropic\'s routes.');
    }
    expect(gw.upstream.state.requests.length).toBe(before);
    // Sent neither way: the plain refusal, naming Bearer only.
    const none = await post('/v1/chat/completions', {}, { model: 'gpt-4o-mini', messages: HI });
    expect(((await none.json()) as { error: { message: string } }).error.message).toBe('You must provide an API key in an Authorization: Bearer header.');
  });

  it('Anthropic\'s routes take x-api-key (and Bearer); a missing key is refused naming both', async () => {
    const client = gw.anthropic(key);
    expect((await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: HI })).usage.output_tokens).toBe(39);
    expect((await client.messages.countTokens({ model: 'claude-haiku-4-5', messages: HI })).input_tokens).toBe(19);
    const bearer = new Anthropic({ authToken: key, apiKey: null, baseURL: gw.url, maxRetries: 0 });
    expect((await bearer.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: HI })).usage.output_tokens).toBe(39);
    const none = await post('/v1/messages', {}, { model: 'claude-haiku-4-5', max_tokens: 10, messages: HI });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error',
      message: 'You must provide an API key in an Authorization: Bearer header (or x-api-key).' } });
  });

  it('the shared routes (/v1/models, /v1/quota) take either', async () => {
    const client = gw.anthropic(key);
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('claude-sonnet-4-5-20250929');
    expect(ids).toContain('gpt-4o-mini');
    for (const headers of [{ 'x-api-key': key }, { authorization: `Bearer ${key}` }] as Array<Record<string, string>>) {
      expect((await fetch(`${gw.url}/v1/quota`, { headers })).status).toBe(200);
    }
  });
});
