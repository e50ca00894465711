// The official @anthropic-ai/sdk, unchanged but for baseURL, through Tollgate to a real local
// upstream replaying captured Anthropic responses (test/fixtures/anthropic) split at random bytes
// — on the memory store and on Redis. The user's limits, headers, credits, spend and conversation
// trees apply as on the OpenAI routes; refusals come in Anthropic's error shape.
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { anthropicCapture } from '../support/anthropic-upstream.js';
import { e2eSuite, type Limits } from '../support/e2e.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

const UPSTREAM_KEY = 'sk-ant-upstream-secret-test';
const HI = [{ role: 'user' as const, content: 'hi' }];

describe.each(STORES)('Anthropic SDK through Tollgate (%s store)', (_name, makeStore) => {
  // Anthropic's upstream alone, its key read from a variable.
  const gw = e2eSuite(() => ({ store: makeStore(), env: { TG_TEST_ANTHROPIC_KEY: UPSTREAM_KEY }, anthropic: { keyEnv: 'TG_TEST_ANTHROPIC_KEY' } }));

  const newUser = async (limits: Limits = {}) => {
    const u = await gw.user(limits, 'claude');
    return { ...u, client: gw.anthropic(u.key) };
  };

  it('passes a message through unchanged, with the user\'s limits in Anthropic\'s headers, the upstream key, and charges its usage', async () => {
    const { user, key, client } = await newUser({ tokens_per_day: 100_000, requests_per_day: 50 });
    const { data, response } = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: HI }).withResponse();
    expect(JSON.stringify(data)).toBe(anthropicCapture('anthropic-messages.json').toString('utf8'));
    expect(data.usage.input_tokens).toBe(222);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('50');
    expect(response.headers.get('anthropic-ratelimit-tokens-limit')).toBe('100000');
    expect(response.headers.get('anthropic-ratelimit-requests-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    const sent = gw.anthropicUpstream.state.requests.at(-1);
    expect(sent?.headers['x-api-key']).toBe(UPSTREAM_KEY);
    expect(sent?.headers['anthropic-version']).toBeDefined();
    expect(JSON.stringify(sent?.headers)).not.toContain(key);
    const [r] = await gw.ledger(user, 1);
    expect(r).toMatchObject({ model: 'claude-sonnet-4-5-20250929', promptTokens: 222, completionTokens: 39, outcome: 'ok', estimated: false, upstream: 'anthropic' });
  });

  it('streams, metered from message_start / message_delta with cache writes and reads apart', async () => {
    const { user, client } = await newUser({ tokens_per_day: 100_000 });
    for (const file of ['anthropic-messages-stream-cache-creation.sse', 'anthropic-messages-stream-cache-read.sse']) {
      const stream = await client.messages.create({ model: `fixture:${file}`, max_tokens: 1024, stream: true, messages: HI });
      let text = '';
      for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      expect(text.length).toBeGreaterThan(100);
    }
    const records = await gw.ledger(user, 2);
    const write = records.find((x) => x.cacheWriteTokens === 1165);
    const read = records.find((x) => x.cachedTokens === 1165);
    expect(write).toMatchObject({ promptTokens: 4 + 1165, completionTokens: 201, cachedTokens: 0, estimated: false });
    expect(read).toMatchObject({ promptTokens: 4 + 1165, completionTokens: 221, estimated: false });
    expect(read?.cacheWriteTokens).toBeUndefined();
  });

  it('takes the key as Authorization: Bearer too, and refuses a bad one in Anthropic\'s shape', async () => {
    const { key } = await newUser();
    const bearer = new Anthropic({ authToken: key, apiKey: null, baseURL: gw.url, maxRetries: 0 });
    const m = await bearer.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: HI });
    expect(m.usage.output_tokens).toBe(39);
    const bad = new Anthropic({ apiKey: 'tg-not-a-key', baseURL: gw.url, maxRetries: 0 });
    const err = await bad.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: HI }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error', code: 'invalid_api_key' } });
  });

  it('refuses over a limit before any upstream connection, as rate_limit_error with the facts, and clamps max_tokens in hard mode', async () => {
    const { client } = await newUser({ tokens_per_day: 5000 });
    const before = gw.anthropicUpstream.state.requests.length;
    const clamped = await client.messages.create({ model: 'claude-3-5-haiku', max_tokens: 20_000, messages: HI }).withResponse();
    const sent = gw.anthropicUpstream.state.requests.at(-1);
    expect(Number(sent?.body.max_tokens)).toBeLessThan(5000);
    expect(clamped.response.headers.get('x-tollgate-output-ceiling')).toBe(String(sent?.body.max_tokens));
    // 261 used: what is left no longer covers a prompt and the minimum output … after a few more.
    const { client: tiny } = await newUser({ tokens_per_day: 1 });
    const err = await tiny.messages.create({ model: 'claude-3-5-haiku', max_tokens: 100, messages: HI }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.APIError>;
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', dimension: 'tokens', window: 'day', limit: 1 } });
    expect(e.headers?.get('anthropic-ratelimit-tokens-limit')).toBe('1');
    expect(e.headers?.get('x-should-retry')).toBe('false');
    expect(gw.anthropicUpstream.state.requests.length).toBe(before + 1);
  });

  it('needs max_tokens (a 400 in Anthropic\'s shape, nothing sent)', async () => {
    const { key } = await newUser();
    const before = gw.anthropicUpstream.state.requests.length;
    const r = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-3-5-haiku', messages: HI }) });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', param: 'max_tokens' } });
    expect(gw.anthropicUpstream.state.requests.length).toBe(before);
  });

  it('charges a message credit for a user turn, none for a tool result, and refuses past the credits as billing_error', async () => {
    const { user, client } = await newUser({ message_credits_per_month: 1 });
    await client.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: HI });
    await client.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: [...HI,
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_time', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '12:00' }] }] });
    const err = await client.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: HI }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(402);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'billing_error', code: 'insufficient_quota', dimension: 'credits' } });
    expect((await gw.ledger(user, 2)).every((x) => x.outcome === 'ok')).toBe(true);
  });

  it('spends a conversation tree\'s budget and then refuses it (409, billing_error)', async () => {
    const { client } = await newUser();
    const tree = { 'x-conversation-id': uniqueId('tree'), 'x-conversation-spend-limit-micros': '1300' };
    // The first costs 222 × 3 + 39 × 15 = 1,251 micro-USD; 49 left cannot pay for the minimum output.
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: HI }, { headers: tree });
    const err = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: HI }, { headers: { 'x-conversation-id': tree['x-conversation-id'] } }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(409);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'billing_error', code: 'conversation_budget_exceeded' } });
  });

  it('a stream cut off mid-way is charged what was streamed (counted), once', async () => {
    const { user, client } = await newUser({ tokens_per_day: 100_000 });
    const stream = await client.messages.create({ model: 'reset-stream:anthropic-messages-stream-legacy-usage.sse', max_tokens: 1024, stream: true, messages: HI });
    await expect((async () => {
      for await (const _event of stream) { /* read until it breaks */ }
    })()).rejects.toThrow();
    const [r] = await gw.ledger(user, 1);
    expect(r).toMatchObject({ outcome: 'upstream_error', estimated: true });
    expect(r?.completionTokens).toBeGreaterThan(10);
  });

  it('passes count_tokens through for an authenticated caller, unmetered', async () => {
    const { user, client } = await newUser({ requests_per_day: 1 });
    const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: HI });
    expect(counted.input_tokens).toBe(19);
    expect(gw.anthropicUpstream.state.requests.at(-1)?.url).toBe('/v1/messages/count_tokens');
    const r = await fetch(`${gw.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'x-api-key': 'tg-bad', 'content-type': 'application/json' }, body: '{"model":"m","messages":[]}' });
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    // Nothing charged: the one request a day is still there.
    await client.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: HI });
    expect(await gw.ledger(user, 1)).toHaveLength(1);
  });

  // Claude Code and the SDK's beta namespace before 1.x call /v1/messages?beta=true; the SDK here
  // (1.14) marks beta calls without a query, so the query is passed as a request option to send
  // what they send. The anthropic-beta header goes through as any client header does.
  it('the beta namespace: ?beta=true reaches the upstream (stream and not, count_tokens too), metered as any message', async () => {
    const { user, client } = await newUser({ tokens_per_day: 100_000 });
    const beta = { query: { beta: 'true' } };
    const m = await client.beta.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: HI, betas: ['interleaved-thinking-2025-05-14'] }, beta);
    expect(m.usage.output_tokens).toBe(39);
    expect(gw.anthropicUpstream.state.requests.at(-1)).toMatchObject({ url: '/v1/messages?beta=true', headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } });
    const stream = await client.beta.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, stream: true, messages: HI }, beta);
    let text = '';
    for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    expect(text.length).toBeGreaterThan(0);
    expect(gw.anthropicUpstream.state.requests.at(-1)?.url).toBe('/v1/messages?beta=true');
    expect((await client.beta.messages.countTokens({ model: 'claude-haiku-4-5', messages: HI }, beta)).input_tokens).toBe(19);
    expect(gw.anthropicUpstream.state.requests.at(-1)?.url).toBe('/v1/messages/count_tokens?beta=true');
    // As this SDK sends it: no query, the beta in its header.
    await client.beta.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: HI, betas: ['context-1m-2025-08-07'] });
    expect(gw.anthropicUpstream.state.requests.at(-1)).toMatchObject({ url: '/v1/messages', headers: { 'anthropic-beta': 'context-1m-2025-08-07' } });
    expect((await gw.ledger(user, 3)).map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok']);
  });

  it('forwards only ?beta=true: other parameters are dropped, another beta value is a 400 before anything is reserved', async () => {
    const { user, key, client } = await newUser({ requests_per_day: 10 });
    await client.beta.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: HI }, { query: { beta: 'true', 'api-version': '1', url: 'http://169.254.169.254/' } });
    expect(gw.anthropicUpstream.state.requests.at(-1)?.url).toBe('/v1/messages?beta=true');
    const before = gw.anthropicUpstream.state.requests.length;
    const err = await client.beta.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: HI }, { query: { beta: 'false' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', param: 'beta' } });
    const r = await fetch(`${gw.url}/v1/messages/count_tokens?beta=yes`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-haiku-4-5', messages: HI }) });
    expect(r.status).toBe(400);
    expect(gw.anthropicUpstream.state.requests.length).toBe(before);
    expect(await gw.ledger(user, 1)).toHaveLength(1);
  });

  it('passes an upstream error through in its own shape, charging nothing but the request', async () => {
    const { user, client } = await newUser();
    const err = await client.messages.create({ model: 'fail:529', max_tokens: 10, messages: HI }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(await gw.ledger(user, 1)).toMatchObject([{ outcome: 'upstream_error', promptTokens: 0, costMicros: 0 }]);
  });
});
