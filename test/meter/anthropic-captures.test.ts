// The Messages API dialect against every real Anthropic capture (test/fixtures/anthropic,
// SOURCES.md): whole, byte by byte and split at random bytes (inside UTF-8 too), the same usage
// every time — message_start's input side overwritten by message_delta's fields, never summed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/endpoints/endpoints.js';
import { createSseMeter } from '../../src/meter/sse-meter.js';
import { loadConfig } from '../../src/config/loader.js';
import { costMicros } from '../../src/pricing/price-table.js';
import { createSplitter } from '../support/split.js';

const file = (name: string) => readFileSync(new URL(`../fixtures/anthropic/${name}`, import.meta.url));
const dialect = ENDPOINTS.messages.usage;

interface Final { in: number; out: number; cw: number; cr: number; model: string }

// From SOURCES.md ("Final"); #8 billed as the sum over its iterations.
const STREAMS: Record<string, Final> = {
  'anthropic-messages-stream.sse': { in: 11, out: 6, cw: 0, cr: 0, model: 'claude-3-5-haiku-20241022' },
  'anthropic-messages-stream-legacy-usage.sse': { in: 17, out: 171, cw: 0, cr: 0, model: 'claude-3-haiku-20240307' },
  'anthropic-messages-stream-tool-use.sse': { in: 506, out: 153, cw: 0, cr: 0, model: 'claude-3-5-sonnet-20240620' },
  'anthropic-messages-stream-cache-creation.sse': { in: 4, out: 201, cw: 1165, cr: 0, model: 'claude-3-5-sonnet-20240620' },
  'anthropic-messages-stream-cache-read.sse': { in: 4, out: 221, cw: 0, cr: 1165, model: 'claude-3-5-sonnet-20240620' },
  'anthropic-messages-stream-thinking.sse': { in: 52, out: 216, cw: 0, cr: 0, model: 'claude-3-7-sonnet-20250219' },
  'anthropic-messages-stream-server-tool.sse': { in: 4714, out: 304, cw: 0, cr: 0, model: 'claude-sonnet-4-6' },
  'anthropic-messages-stream-compaction-iterations.sse': { in: 281, out: 91, cw: 0, cr: 55096, model: 'claude-sonnet-4-6' },
};

const JSONS: Record<string, Omit<Final, 'model'>> = {
  'anthropic-messages.json': { in: 222, out: 39, cw: 0, cr: 0 },
  'anthropic-messages-cache-creation.json': { in: 4, out: 187, cw: 1163, cr: 0 },
  'anthropic-messages-cache-read.json': { in: 4, out: 202, cw: 0, cr: 1163 },
};

function metered(pieces: Uint8Array[]) {
  const meter = createSseMeter({ dialect, hideUsageChunk: false });
  const out = pieces.map((p) => meter.push(p));
  out.push(meter.flush());
  return { out: Buffer.concat(out), report: meter.report() };
}

const expected = (f: Omit<Final, 'model'>) => ({
  promptTokens: f.in + f.cw + f.cr, completionTokens: f.out, totalTokens: f.in + f.cw + f.cr + f.out, cachedTokens: f.cr, cacheWriteTokens: f.cw,
});

describe('Anthropic Messages streams', () => {
  for (const [name, final] of Object.entries(STREAMS)) {
    it(`${name}: whole, byte by byte, and at 30 random splits`, () => {
      const data = new Uint8Array(file(name));
      const splits = [[data], Array.from(data, (_b, i) => data.subarray(i, i + 1)),
        ...Array.from({ length: 30 }, (_v, seed) => createSplitter(seed + 1, 97)(data))];
      for (const pieces of splits) {
        const { out, report } = metered(pieces);
        expect(out.equals(Buffer.from(data))).toBe(true);
        expect(report.usage).toMatchObject(expected(final));
        expect(report.model).toBe(final.model);
        expect(report.done).toBe(true);
        expect(report.error).toBeNull();
      }
    });
  }

  it('a stream cut before message_delta reports no usage (it is counted from what was streamed), but its output', () => {
    const text = file('anthropic-messages-stream-tool-use.sse').toString('utf8');
    const { report } = metered([Buffer.from(text.slice(0, text.indexOf('event: message_delta')))]);
    expect(report.usage).toBeNull();
    expect(report.sawOutput).toBe(true);
    expect(report.outputText.length).toBeGreaterThan(20);
    expect(report.model).toBe('claude-3-5-sonnet-20240620');
  });

  it('an error event inside a 200 stream is seen', () => {
    const { report } = metered([Buffer.from('event: error\ndata: {"type":"error","error":{"details":null,"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}\n\n')]);
    expect(report.error).toEqual({ message: 'Overloaded', code: 'overloaded_error' });
  });
});

describe('Anthropic Messages JSON bodies', () => {
  for (const [name, final] of Object.entries(JSONS)) {
    it(`${name}: its usage, cache writes and reads apart`, () => {
      expect(dialect.fromJson(file(name).toString('utf8')).usage).toMatchObject(expected(final));
    });
  }
});

describe('Anthropic prices (config/prices.yaml)', () => {
  const prices = loadConfig({}).prices;
  it('prices cache writes and cache reads at their own rates (claude-3-5-sonnet: 3 in, 3.75 write, 0.30 read, 15 out per million)', () => {
    const write = dialect.fromJson(file('anthropic-messages-cache-creation.json').toString('utf8')).usage;
    const read = dialect.fromJson(file('anthropic-messages-cache-read.json').toString('utf8')).usage;
    const price = prices.lookup('claude-3-5-sonnet-20240620');
    if (!write || !read) throw new Error('no usage');
    // 4 × 3 + 1163 × 3.75 + 187 × 15 = 7178.25 micro-USD; 4 × 3 + 1163 × 0.30 + 202 × 15 = 3390.9.
    expect(costMicros(write, price)).toBe(7179);
    expect(costMicros(read, price)).toBe(3391);
  });

  it('prices an hour\'s cache write at its own rate', () => {
    const usage = { promptTokens: 1000, completionTokens: 0, totalTokens: 1000, cachedTokens: 0, cacheWriteTokens: 1000, cacheWrite1hTokens: 400,
      reasoningTokens: 0, reasoningIncluded: true, costMicros: null };
    // claude-sonnet-4-5: 600 × 3.75 + 400 × 6 = 4650 micro-USD.
    expect(costMicros(usage, prices.lookup('claude-sonnet-4-5-20250929'))).toBe(4650);
  });
});
