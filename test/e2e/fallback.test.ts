// Fallback before the first byte: the route's first upstream killed (or answering 503) → the
// next one serves, under the one reservation, settled once, and the ledger names it. Never after
// the first byte: a stream that breaks off is not retried anywhere.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const HI = [{ role: 'user' as const, content: 'hi' }];

/** An upstream that answers every request with this status, counting them. */
async function failing(status: number): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' }).end('{"error":{"message":"overloaded","type":"server_error"}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

describe.each(STORES)('fallback before the first byte (%s store)', (_name, makeStore) => {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function setup(firstUrl: string, second: TestUpstream, fallback = ['second']): Promise<{ gw: TestGateway; user: string; client: OpenAI }> {
    const gw = await startGateway({ upstreamUrl: firstUrl, store: makeStore(), overrides: { upstreams: [
      { name: 'first', kind: 'openai', base_url: firstUrl, default: true, fallback },
      { name: 'second', kind: 'openai', base_url: second.url },
    ] } });
    closers.push(async () => {
      await gw.close();
      await gw.store.close();
    });
    const user = uniqueId('fallback');
    const key = await gw.userWithKey(user, { tokens_per_day: 100_000 });
    return { gw, user, client: new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 }) };
  }
  const records = async (gw: TestGateway, user: string, n: number) => {
    let r: Array<{ upstream?: string; promptTokens: number; completionTokens: number; outcome: string }> = [];
    await expect.poll(async () => (r = (await gw.admin('GET', `/admin/ledger?user=${user}`)).json.records as typeof r).length).toBe(n);
    return r;
  };
  const tokensUsed = async (gw: TestGateway, client: OpenAI) => {
    const q = (await (await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${client.apiKey}` } })).json()) as { limits: Array<{ dimension: string; window: string; used: number; reserved: number }> };
    return q.limits.find((l) => l.dimension === 'tokens' && l.window === 'day');
  };

  it('the first upstream killed: served once by the next, charged once, the ledger names it', async () => {
    const first = await createTestUpstream();
    const firstUrl = first.url;
    await first.close(); // nothing listens there any more
    const second = await createTestUpstream();
    closers.push(() => second.close());
    const { gw, user, client } = await setup(firstUrl, second);
    const reply = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI });
    expect(reply.usage?.total_tokens).toBe(379);
    expect(second.state.requests).toHaveLength(1);
    expect(await records(gw, user, 1)).toMatchObject([{ upstream: 'second', promptTokens: 16, completionTokens: 363, outcome: 'ok' }]);
    expect(await tokensUsed(gw, client)).toMatchObject({ used: 379, reserved: 0 });
  });

  it('a 503 before any byte: the next upstream serves; without fallback the 503 is the answer', async () => {
    const busy = await failing(503);
    closers.push(() => busy.close());
    const second = await createTestUpstream();
    closers.push(() => second.close());
    const { gw, user, client } = await setup(busy.url, second);
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: HI });
    for await (const _chunk of stream) { /* read it all */ }
    expect(busy.requests()).toBe(1);
    expect(second.state.requests).toHaveLength(1);
    expect(await records(gw, user, 1)).toMatchObject([{ upstream: 'second', outcome: 'ok', completionTokens: 9 }]);
    expect(await tokensUsed(gw, client)).toMatchObject({ used: 87, reserved: 0 });

    const off = await setup(busy.url, second, []);
    const err = await off.client.chat.completions.create({ model: 'gpt-4o-mini', messages: HI }).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(503);
    expect(second.state.requests).toHaveLength(1);
    expect(await records(off.gw, off.user, 1)).toMatchObject([{ upstream: 'first', outcome: 'upstream_error', completionTokens: 0 }]);
  });

  it('never after the first byte: a stream that breaks off is not retried', async () => {
    const first = await createTestUpstream();
    const second = await createTestUpstream();
    closers.push(() => first.close(), () => second.close());
    const { gw, user, client } = await setup(first.url, second);
    const stream = await client.chat.completions.create({ model: 'reset-stream:openai-chat-stream-usage.sse', stream: true, messages: HI });
    await expect((async () => {
      for await (const _chunk of stream) { /* until it breaks */ }
    })()).rejects.toThrow();
    expect(first.state.requests).toHaveLength(1);
    expect(second.state.requests).toHaveLength(0);
    expect(await records(gw, user, 1)).toMatchObject([{ upstream: 'first', outcome: 'upstream_error' }]);
  });
});
