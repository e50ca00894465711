// Prices on the real captures: the meter's usage, priced from config/prices.yaml, equals the
// hand computation (cached input at its own rate, reasoning at the output rate).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loader.js';
import { createSseMeter } from '../../src/meter/sse-meter.js';
import { ENDPOINTS, type Api } from '../../src/endpoints/endpoints.js';
import { costMicros } from '../../src/pricing/price-table.js';

const prices = loadConfig({}).prices;

function priced(file: string, api: Api) {
  const meter = createSseMeter({ dialect: ENDPOINTS[api].usage, hideUsageChunk: false });
  meter.push(new Uint8Array(readFileSync(new URL(`../fixtures/sse/${file}`, import.meta.url))));
  meter.flush();
  const r = meter.report();
  if (!r.usage || !r.model) throw new Error(`${file}: no usage or model`);
  return costMicros(r.usage, prices.lookup(r.model));
}

describe('prices on real captures', () => {
  it('DeepSeek reasoner: 339 in (320 cached), 83 out', () => {
    // $0.55/M uncached, $0.14/M cached, $2.19/M output (reasoning included in the 83).
    expect(priced('deepseek-chat-stream-cache-hit.sse', 'chat')).toBe(Math.ceil((19 * 550_000 + 320 * 140_000 + 83 * 2_190_000) / 1e6));
  });

  it('OpenAI Responses (gpt-5 snapshot): 9463 in (8320 cached), 582 out (512 reasoning)', () => {
    expect(priced('openai-responses-stream.sse', 'responses')).toBe(Math.ceil((1143 * 1_250_000 + 8320 * 125_000 + 582 * 10_000_000) / 1e6));
  });

  it('gpt-4o-mini snapshot by prefix: 78 in, 9 out', () => {
    expect(priced('openai-chat-stream-usage.sse', 'chat')).toBe(Math.ceil((78 * 150_000 + 9 * 600_000) / 1e6));
  });

  it('the provider\'s own cost wins: OpenRouter 0.000669 USD, xAI 1466250 ticks', () => {
    expect(priced('openrouter-chat-stream-usage-cost.sse', 'chat')).toBe(669);
    expect(priced('xai-chat-stream-usage-cost-ticks.sse', 'chat')).toBe(147);
  });
});
