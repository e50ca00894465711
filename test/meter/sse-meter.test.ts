// The SSE meter against every real capture: whole, byte by byte, and split at random byte
// boundaries (inside UTF-8 sequences too) — the same report every time.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSseMeter, type StreamReport } from '../../src/meter/sse-meter.js';
import { ENDPOINTS, type Api } from '../../src/endpoints/endpoints.js';
import { createSplitter } from '../support/split.js';
import { CAPTURES, type Expected } from './captures.js';

const bytes = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/sse/${name}`, import.meta.url)));

function run(api: Api, pieces: Uint8Array[], hideUsageChunk = false): { out: Buffer; report: StreamReport } {
  const meter = createSseMeter({ dialect: ENDPOINTS[api].usage, hideUsageChunk });
  const out: Uint8Array[] = [];
  for (const p of pieces) out.push(meter.push(p));
  out.push(meter.flush());
  return { out: Buffer.concat(out), report: meter.report() };
}

function summary(r: StreamReport) {
  return {
    usage: r.usage && { prompt: r.usage.promptTokens, completion: r.usage.completionTokens, total: r.usage.totalTokens,
      cached: r.usage.cachedTokens, reasoning: r.usage.reasoningTokens, cost: r.usage.costMicros, included: r.usage.reasoningIncluded },
    model: r.model, error: r.error !== null, done: r.done,
  };
}

function expected(e: Expected) {
  return {
    usage: e.usage && { cost: null, included: true, ...e.usage },
    model: e.model, error: e.error ?? false, done: e.done,
  };
}

describe('SSE meter on real captures', () => {
  for (const [file, e] of Object.entries(CAPTURES)) {
    it(`${file}: whole, byte by byte, and at 50 random splits`, () => {
      const data = bytes(file);
      const whole = run(e.api, [data]);
      expect(summary(whole.report)).toEqual(expected(e));
      expect(whole.out.equals(Buffer.from(data))).toBe(true);
      const single = run(e.api, Array.from(data, (_b, i) => data.subarray(i, i + 1)));
      expect(summary(single.report)).toEqual(expected(e));
      for (let seed = 1; seed <= 50; seed++) {
        const split = run(e.api, createSplitter(seed, 64)(data));
        expect(summary(split.report)).toEqual(expected(e));
        expect(split.out.equals(Buffer.from(data))).toBe(true);
      }
    });
  }

  it('returns the very chunk it was given when not hiding', () => {
    const meter = createSseMeter({ dialect: ENDPOINTS.chat.usage, hideUsageChunk: false });
    const chunk = bytes('openai-chat-stream-usage.sse');
    expect(meter.push(chunk)).toBe(chunk);
  });

  it('collects the streamed text, for an estimate when no usage came', () => {
    const { report } = run('chat', [bytes('openai-chat-stream-no-usage.sse')]);
    const expectedText = readFileSync(new URL('../fixtures/sse/openai-chat-stream-no-usage.sse', import.meta.url), 'utf8')
      .split('\n').filter((l) => l.startsWith('data: {'))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '').join('');
    expect(report.usage).toBeNull();
    expect(report.sawOutput).toBe(true);
    expect(report.outputText).toBe(expectedText);
    expect(expectedText.length).toBeGreaterThan(10);
  });
});

describe('hiding the usage-only chunk the gateway asked for', () => {
  const events = (text: string) => text.split(/(?<=\n\n)/);

  it('removes exactly that event and nothing else, at any split', () => {
    const data = bytes('openai-chat-stream-usage.sse');
    const original = events(Buffer.from(data).toString('utf8'));
    const usageEvent = original.filter((ev) => ev.includes('"choices":[]') && ev.includes('"usage":{'));
    expect(usageEvent).toHaveLength(1);
    const wanted = original.filter((ev) => ev !== usageEvent[0]).join('');
    for (let seed = 1; seed <= 50; seed++) {
      const { out, report } = run('chat', createSplitter(seed, 64)(data), true);
      expect(out.toString('utf8')).toBe(wanted);
      expect(report.usage?.totalTokens).toBe(87);
    }
  });

  it('hides nothing when the usage rides on a chunk with choices', () => {
    for (const file of ['deepseek-chat-stream-cache-hit.sse', 'groq-chat-stream-x-groq-usage.sse', 'openrouter-chat-stream-usage-cost.sse']) {
      const data = bytes(file);
      const { out } = run('chat', createSplitter(3, 64)(data), true);
      expect(out.equals(Buffer.from(data))).toBe(true);
    }
  });

  it('works on CRLF line endings', () => {
    const crlf = new Uint8Array(Buffer.from(Buffer.from(bytes('openai-chat-stream-usage.sse')).toString('utf8').replaceAll('\n', '\r\n')));
    const { out, report } = run('chat', createSplitter(9, 7)(crlf), true);
    expect(report.usage?.totalTokens).toBe(87);
    expect(out.toString('utf8')).not.toContain('"choices":[],');
    expect(out.length).toBeLessThan(crlf.length);
  });

  it('forwards an event with no blank line after it at the end, unchanged', () => {
    const text = 'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}';
    const { out, report } = run('chat', [new Uint8Array(Buffer.from(text))], true);
    expect(out.toString()).toBe(text);
    expect(report.usage?.totalTokens).toBe(3);
  });
});

describe('hostile streams never throw and never report nonsense', () => {
  it.each([
    ['garbage lines', 'hello\nworld\n\n:::\n\ndata: not json\n\n'],
    ['data without a space and multi-line data', 'data:{"choices":[],\ndata:"usage":{"prompt_tokens":4,"completion_tokens":5}}\n\n'],
    ['negative and absurd counts', 'data: {"choices":[],"usage":{"prompt_tokens":-5,"completion_tokens":1e18,"total_tokens":"x"}}\n\n'],
    ['invalid UTF-8', Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a, 0x0a])],
  ])('%s', (_what, input) => {
    for (const hide of [false, true]) {
      const data = new Uint8Array(typeof input === 'string' ? Buffer.from(input) : input);
      const { out, report } = run('chat', createSplitter(5, 3)(data), hide);
      // Hiding may drop a usage-only event; without it every byte passes unchanged.
      if (hide) expect(out.length).toBeLessThanOrEqual(data.length);
      else expect(out.equals(Buffer.from(data))).toBe(true);
      if (report.usage) {
        expect(report.usage.promptTokens).toBeGreaterThanOrEqual(0);
        expect(report.usage.completionTokens).toBeLessThanOrEqual(1e12);
        expect(Number.isFinite(report.usage.totalTokens)).toBe(true);
      }
    }
  });

  it('reads multi-line data joined with a newline', () => {
    const { report } = run('chat', [new Uint8Array(Buffer.from('data:{"choices":[],\ndata:"usage":{"prompt_tokens":4,"completion_tokens":5}}\n\n'))]);
    expect(report.usage).toMatchObject({ promptTokens: 4, completionTokens: 5, totalTokens: 9 });
  });

  it('a 5 MB data line with no separators is forwarded, with bounded holding in hide mode', () => {
    const big = new Uint8Array(Buffer.from(`data: ${'x'.repeat(5 * 1024 * 1024)}`));
    const meter = createSseMeter({ dialect: ENDPOINTS.chat.usage, hideUsageChunk: true, maxPendingBytes: 1024 * 1024 });
    let forwarded = 0;
    for (const piece of createSplitter(1, 65536)(big)) forwarded += meter.push(piece).length;
    expect(forwarded).toBeGreaterThan(3 * 1024 * 1024);
    forwarded += meter.flush().length;
    expect(forwarded).toBe(big.length);
    expect(meter.report().usage).toBeNull();
  });
});
