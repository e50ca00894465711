// Reservations sized by what a request can really cost, as a user meets them: the requests issue
// 22 found refused are served, a refusal says what the request needed and what is left, hard
// mode never ends over a limit under random concurrency, and a provider that counts more than
// our tokenizer widens the estimate on every replica. The upstream reports prompt tokens the way
// a provider does, counted independently of Tollgate (test/support/reference-count.ts).
import { describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import { code, english, imageDataUrl, russian, rng } from '../support/prompt-samples.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

const SCREENSHOT = imageDataUrl('png', 2880, 1800, 450_000);

describe.each(STORES)('prompt reservations (%s store)', (_name, makeStore) => {
  const gw = e2eSuite(() => ({ store: makeStore(), overrides: { 'auth.cache_ms': 0 }, upstream: { countPrompts: { completionTokens: 150, images: { [SCREENSHOT]: { width: 2880, height: 1800 } } } } }));

  const post = async (key: string, body: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers } });
    return { status: r.status, json: (await r.json()) as Record<string, Record<string, unknown>> };
  };

  it('serves a 450 KB screenshot under a 500,000 tokens/day quota, charged by its size, not its base64', async () => {
    const key = await gw.userWithKey(uniqueId('shot'), { tokens_per_day: 500_000 });
    const r = await post(key, { model: 'gpt-4o', max_tokens: 500, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is wrong in this screenshot?' }, { type: 'image_url', image_url: { url: SCREENSHOT } }] }] });
    expect(r.status).toBe(200);
    expect((r.json.usage as { prompt_tokens: number }).prompt_tokens).toBeLessThan(1200);
  });

  it("serves a coding agent's 9,000-token code context in a conversation budget it fits in", async () => {
    const key = await gw.userWithKey(uniqueId('agent'));
    const context = code(40_000);
    // gpt-4.1-nano: $0.10/M in, $0.40/M out: ~9,000 tokens in + 1,000 out ≈ 1,300 micros of a 2,000 budget.
    const r = await post(key, { model: 'gpt-4.1-nano', max_tokens: 1000, messages: [{ role: 'system', content: 'You are a coding agent.' }, { role: 'user', content: `${context}\nFix the bug.` }] },
      { 'x-conversation-id': uniqueId('conv'), 'x-conversation-spend-limit-micros': '2000' });
    expect(r.status).toBe(200);
    expect((r.json.usage as { prompt_tokens: number }).prompt_tokens).toBeGreaterThan(8000);
  });

  it('a refusal names what the request needs and what is left, in the message and the body', async () => {
    const key = await gw.userWithKey(uniqueId('refuse'), { tokens_per_day: 12_000 });
    const body = { model: 'gpt-4o', max_tokens: 500, messages: [{ role: 'user', content: english(60_000) }] };
    const sent = gw.upstream.state.started;
    const r = await post(key, JSON.stringify(body).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    expect(r.status).toBe(429);
    const e = r.json.error as Record<string, unknown>;
    const requested = e.requested as number;
    expect(e).toMatchObject({ dimension: 'tokens', window: 'day', limit: 12_000, used: 0, reserved: 0, remaining: 12_000 });
    expect(requested).toBeGreaterThan(10_000);
    expect(requested).toBeLessThan(16_000);
    const prompt = requested - 500;
    expect(e.message).toContain(`this request needs up to ${requested.toLocaleString('en-US')} tokens (prompt ≈ ${prompt.toLocaleString('en-US')}, output up to 500); 12,000 remain today`);
    expect(gw.upstream.state.started).toBe(sent);
  });

  it('Russian sent with \\uXXXX escapes reserves what it will cost, not 25x', async () => {
    const key = await gw.userWithKey(uniqueId('ru'), { tokens_per_day: 10_000 });
    const text = russian(15_000);
    const raw = JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 200, messages: [{ role: 'user', content: text }] })
      .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect(raw.length).toBeGreaterThan(60_000);
    const r = await post(key, raw);
    expect(r.status).toBe(200);
  });

  it('hard mode lowers the output ceiling from the counted prompt instead of refusing on its byte size', async () => {
    const key = await gw.userWithKey(uniqueId('lower'), { tokens_per_day: 5_000 });
    const text = english(13_000); // ~2,500 tokens, 13 KB: reserved by bytes it would not fit at all
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', max_tokens: 4_000, messages: [{ role: 'user', content: text }] }) });
    expect(r.status).toBe(200);
    const ceiling = Number(r.headers.get('x-tollgate-output-ceiling'));
    const usage = ((await r.json()) as { usage: { prompt_tokens: number } }).usage;
    expect(ceiling).toBe(5_000 - usage.prompt_tokens);
    expect((gw.upstream.state.requests.at(-1)?.body as { max_tokens: number }).max_tokens).toBe(ceiling);
  });

  it('hard mode, random concurrency and sizes: the limit is used, never passed', async () => {
    const r = rng(7);
    for (let round = 0; round < 3; round++) {
      const LIMIT = 20_000;
      const id = uniqueId(`rand${round}`);
      const key = await gw.userWithKey(id, { tokens_per_day: LIMIT });
      const n = 10 + Math.floor(r() * 30);
      const statuses = await Promise.all(Array.from({ length: n }, async (_, i) => {
        await new Promise((res) => setTimeout(res, Math.floor(r() * 20)));
        const make = [english, code, russian][i % 3] as (c: number) => string;
        return (await post(key, { model: 'gpt-4o-mini', max_tokens: 100 + Math.floor(r() * 400), messages: [{ role: 'user', content: make(500 + Math.floor(r() * 12_000)) }] })).status;
      }));
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
      const quota = await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${key}` } });
      const tokens = ((await quota.json()) as { limits: Array<{ dimension: string; used: number; reserved: number }> }).limits.find((l) => l.dimension === 'tokens');
      expect(tokens?.reserved).toBe(0);
      expect(tokens?.used).toBeLessThanOrEqual(LIMIT);
      expect(tokens?.used).toBeGreaterThan(0);
    }
  });
});
