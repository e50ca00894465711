// The official openai SDK, unchanged but for baseURL, through Tollgate to a real local upstream
// replaying captured provider responses — on the memory store and on Redis.
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import { fixture, streamedText } from '../support/fixtures.js';
import { UPSTREAM_KEY } from '../support/gateway.js';
import { STORES } from '../support/stores.js';

const HI = [{ role: 'user' as const, content: 'hi' }];

describe.each(STORES)('openai SDK through Tollgate (%s store)', (_name, makeStore) => {
  const gw = e2eSuite(() => ({ store: makeStore(), upstream: { seed: 7 } }));
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    ({ key } = await gw.user({ tokens_per_day: 1_000_000, requests_per_day: 1000 }, 'alice'));
    client = gw.openai(key);
  });

  const tokensUsed = async (k = key) => (await gw.quota(k)).limits.find((l) => l.dimension === 'tokens' && l.window === 'day');

  it('passes a chat completion through unchanged, with the user\'s limit headers and the upstream key', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }).withResponse();
    const expected = JSON.parse(fixture('openai-chat.json')) as { choices: Array<{ message: { content: string } }> };
    expect(data.choices[0]?.message.content).toBe(expected.choices[0]?.message.content);
    expect(data.usage?.total_tokens).toBe(379);
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('1000000');
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('1000');
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+h\d+m\d+s$|^\d+m\d+s$|^\d+s$/);
    expect(response.headers.get('x-ratelimit-remaining-tokens')).not.toBe('999999');
    const sent = gw.upstream.state.requests.at(-1);
    expect(sent?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(sent?.headers)).not.toContain(key);
    expect(JSON.stringify([...response.headers])).not.toContain(UPSTREAM_KEY);
    expect(await tokensUsed()).toMatchObject({ used: 379, reserved: 0 });
  });

  it('streams a chat completion, asking upstream for usage and hiding the chunk the client did not ask for', async () => {
    const before = (await tokensUsed())?.used ?? 0;
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: HI });
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      if (chunk.usage) usageChunks++;
      for (const c of chunk.choices) text += c.delta?.content ?? '';
    }
    expect(text).toBe(streamedText('openai-chat-stream-usage.sse'));
    expect(usageChunks).toBe(0);
    const sent = gw.upstream.state.requests.at(-1)?.body as { stream_options?: { include_usage?: boolean } };
    expect(sent.stream_options?.include_usage).toBe(true);
    await expect.poll(async () => (await tokensUsed())?.used).toBe(before + 87);
  });

  it('keeps the usage chunk when the client asked for it', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: HI });
    let total = 0;
    for await (const chunk of stream) if (chunk.usage) total = chunk.usage.total_tokens;
    expect(total).toBe(87);
  });

  it('meters embeddings, completions and the Responses API, streaming and not', async () => {
    const before = (await tokensUsed())?.used ?? 0;
    const emb = await client.embeddings.create({ model: 'text-embedding-ada-002', input: 'hello' });
    expect(emb.usage.total_tokens).toBe(8);
    const completion = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hi', stream: true });
    let text = '';
    for await (const c of completion) text += c.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    let completed = false;
    const rs = await client.responses.create({ model: 'gpt-5', input: 'hi', stream: true });
    for await (const ev of rs) if (ev.type === 'response.completed') completed = true;
    expect(completed).toBe(true);
    const plain = await client.responses.create({ model: 'gpt-5', input: 'hi' });
    expect(plain.usage?.total_tokens).toBe(20);
    // 8 (embeddings) + 30 (completions stream) + 10045 (responses stream) + 20 (responses JSON)
    await expect.poll(async () => (await tokensUsed())?.used).toBe(before + 8 + 30 + 10045 + 20);
  });

  it('lists models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });

  it('refuses a user over the limit with RateLimitError before any upstream connection', async () => {
    const bob = gw.openai((await gw.user({ requests_per_day: 1 }, 'bob')).key);
    await bob.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI });
    const connections = gw.upstream.state.connections;
    const requests = gw.upstream.state.requests.length;
    const err = await bob.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.error).toMatchObject({ scope: 'account_period', dimension: 'requests', window: 'day', limit: 1, used: 1 });
    expect(Number(e.headers?.get('retry-after'))).toBeGreaterThan(60);
    expect(e.headers?.get('x-should-retry')).toBe('false');
    expect(e.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(gw.upstream.state.connections).toBe(connections);
    expect(gw.upstream.state.requests.length).toBe(requests);
  });
});
