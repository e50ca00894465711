// Every exit path releases its slot, its reservation and its abort listener, and charges what
// it should: success, client abort mid-stream, upstream error before output, upstream death
// mid-stream, an upstream that never answers, an idle timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const USER = [{ role: 'user', content: 'hi' }];

describe.each(STORES)('exit paths (%s store)', (_name, makeStore) => {
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await createTestUpstream({ chunkDelayMs: 2 });
    gw = await startGateway({ upstreamUrl: upstream.url, store: makeStore(), overrides: { 'upstream.timeouts.idle_ms': 300, 'upstream.timeouts.headers_ms': 400 } });
  });
  afterAll(async () => {
    await gw.close();
    await gw.store.close();
    await upstream.close();
  });

  async function user() {
    const id = uniqueId('exit');
    const key = await gw.userWithKey(id, { tokens_per_day: 1_000_000, max_parallel_requests: 1 });
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const post = (body: object, signal?: AbortSignal) =>
      fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
    const state = async () => {
      const q = (await (await fetch(`${gw.url}/v1/quota`, { headers })).json()) as { limits: Array<{ dimension: string; used: number; reserved: number }> };
      const tokens = q.limits.find((l) => l.dimension === 'tokens');
      const slots = q.limits.find((l) => l.dimension === 'parallel_requests');
      return { tokens: tokens?.used ?? -1, reserved: tokens?.reserved ?? -1, inFlight: slots?.used ?? -1 };
    };
    const lastRecord = async () => (await gw.store.ledger(id, 1))[0];
    return { post, state, lastRecord };
  }

  /** Nothing held: no reservation, no slot, no listener, no request or settle in flight. */
  async function expectReleased(state: () => Promise<{ reserved: number; inFlight: number }>) {
    await expect.poll(async () => ({ ...(await state()), requests: gw.inFlight.requests, listeners: gw.inFlight.listeners, settling: gw.inFlight.settling }))
      .toMatchObject({ reserved: 0, inFlight: 0, requests: 0, listeners: 0, settling: 0 });
  }

  it('success: charged the provider\'s usage, everything released', async () => {
    const u = await user();
    const r = await u.post({ model: 'gpt-4o-mini', messages: USER, stream: true });
    expect(await r.text()).toContain('[DONE]');
    await expectReleased(u.state);
    expect((await u.state()).tokens).toBe(87);
  });

  it('client abort mid-stream: the upstream sees its socket close, the generated text is charged', async () => {
    const u = await user();
    const closedBefore = upstream.state.closedMidStream;
    const ac = new AbortController();
    const r = await u.post({ model: 'slow:20:openai-chat-stream-no-usage.sse', messages: USER, stream: true }, ac.signal);
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    let got = '';
    while (!/"content":"[^"]/.test(got)) got += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    await expect.poll(() => upstream.state.closedMidStream).toBeGreaterThan(closedBefore);
    await expectReleased(u.state);
    const s = await u.state();
    // The prompt's tokens plus at least one generated token, counted: the provider sent no usage.
    expect(s.tokens).toBeGreaterThan(5);
    expect(await u.lastRecord()).toMatchObject({ outcome: 'aborted', estimated: true, model: 'gpt-3.5-turbo-0125' });
  });

  it('upstream error before any output: nothing charged, slot freed', async () => {
    const u = await user();
    const r = await u.post({ model: 'fail:500', messages: USER });
    expect(r.status).toBe(500);
    await expectReleased(u.state);
    expect((await u.state()).tokens).toBe(0);
    expect(await u.lastRecord()).toMatchObject({ outcome: 'upstream_error', promptTokens: 0, costMicros: 0, estimated: false });
  });

  it('upstream dies mid-stream: charged for what was streamed, marked estimated', async () => {
    const u = await user();
    const r = await u.post({ model: 'reset-stream:openai-chat-stream-no-usage.sse', messages: USER, stream: true });
    await r.text().catch(() => '');
    await expectReleased(u.state);
    expect((await u.state()).tokens).toBeGreaterThan(0);
    expect(await u.lastRecord()).toMatchObject({ outcome: 'upstream_error', estimated: true });
  });

  it('an upstream that never sends headers: the client\'s abort is not blocked, nothing is charged', async () => {
    const u = await user();
    const ac = new AbortController();
    const pending = u.post({ model: 'hang-headers', messages: USER }, ac.signal).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    await expectReleased(u.state);
    expect((await u.state()).tokens).toBe(0);
  });

  it('an upstream that never sends headers hits the headers timeout: 504, nothing charged', async () => {
    const u = await user();
    const r = await u.post({ model: 'hang-headers', messages: USER });
    expect(r.status).toBe(504);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
    await expectReleased(u.state);
    expect((await u.state()).tokens).toBe(0);
  });

  it('a stream that goes silent hits the idle timeout: charged for what came, released', async () => {
    const u = await user();
    const r = await u.post({ model: 'hang-stream:openai-chat-stream-no-usage.sse', messages: USER, stream: true });
    await r.text().catch(() => '');
    await expectReleased(u.state);
    expect((await u.state()).tokens).toBeGreaterThan(0);
  });
});
