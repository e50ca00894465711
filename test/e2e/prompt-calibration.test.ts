// A provider whose tokenizer counts more than ours: its reports widen the estimate, for the model
// that showed it, on every replica sharing the store, so that hard mode keeps its guarantee.
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import { type TestGateway } from '../support/gateway.js';
import { english } from '../support/prompt-samples.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

const LIMIT = 10_000_000;
const OUTPUT = 50;

describe.each(STORES)('prompt calibration (%s store)', (_name, makeStore) => {
  // Prompts counted 30 % over the OpenAI count, as a Claude or Llama tokenizer might.
  const a = e2eSuite(() => ({ store: makeStore(), overrides: { 'auth.cache_ms': 0, 'metering.calibration_samples': 3, 'metering.calibration_sync_ms': 60_000 },
    upstream: { countPrompts: { promptScale: 1.3, completionTokens: OUTPUT } } }));
  // A second replica on the same store and upstream.
  let b: TestGateway;
  beforeAll(async () => {
    b = await a.replica();
  });

  /** Sends one request and returns what it reserved for its prompt and what the provider counted. */
  async function send(gw: TestGateway, key: string, model: string, text: string) {
    const quota = async () => ((await (await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${key}` } })).json()) as { limits: Array<{ dimension: string; window: string; used: number }> })
      .limits.find((l) => l.dimension === 'tokens' && l.window === 'day')?.used ?? 0;
    const used = await quota();
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: OUTPUT, messages: [{ role: 'user', content: text }] }) });
    expect(r.status).toBe(200);
    const reserved = LIMIT - used - Number(r.headers.get('x-ratelimit-remaining-tokens'));
    const reported = ((await r.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    return { estimate: reserved - OUTPUT, reported };
  }

  it('an unknown model: the byte bound until calibrated, then our count widened by what its provider reported, on every replica', async () => {
    const model = uniqueId('claude-like');
    const key = await a.userWithKey(uniqueId('cal'), { tokens_per_day: LIMIT });
    const texts = [2000, 3000, 4000, 5000].map((n, i) => english(n, i + 11));
    const first = await send(a, key, model, texts[0] as string);
    expect(first.estimate).toBeGreaterThan(first.reported * 2); // bytes: English is ~4.5 bytes a token
    for (const t of texts.slice(1, 3)) await send(a, key, model, t);
    const calibrated = await send(a, key, model, texts[3] as string);
    expect(calibrated.estimate / calibrated.reported).toBeGreaterThanOrEqual(1);
    expect(calibrated.estimate / calibrated.reported).toBeLessThan(1.15);

    // The other replica learns it through the store.
    await a.calibration.sync();
    await b.calibration.sync();
    const other = await send(b, key, model, english(6000, 99));
    expect(other.estimate / other.reported).toBeGreaterThanOrEqual(1);
    expect(other.estimate / other.reported).toBeLessThan(1.15);
  });

  it('an OpenAI model whose provider counts more than ours is widened after its first report', async () => {
    const key = await a.userWithKey(uniqueId('cal-oa'), { tokens_per_day: LIMIT });
    const model = 'gpt-4o-mini';
    const before = await send(a, key, model, english(3000, 21));
    expect(before.estimate).toBeLessThan(before.reported); // our tokenizer, a provider that counts 30 % more
    const after = await send(a, key, model, english(3500, 22));
    expect(after.estimate / after.reported).toBeGreaterThanOrEqual(1);
    expect(after.estimate / after.reported).toBeLessThan(1.05);
  });
});
