// measure: what a relayed request is charged, from what was seen and how the relay ended — no
// sockets. Streams are the real captures run through the meter.
import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/endpoints/endpoints.js';
import { createSseMeter } from '../../src/meter/sse-meter.js';
import { measure, type Seen } from '../../src/proxy/measure.js';
import { fixture } from '../support/fixtures.js';

const chat = ENDPOINTS.chat.usage;

function streamed(name: string, cutAt?: number): Seen {
  const meter = createSseMeter({ dialect: chat, hideUsageChunk: false });
  const bytes = Buffer.from(fixture(name));
  meter.push(bytes.subarray(0, cutAt ?? bytes.length));
  if (cutAt === undefined) meter.flush();
  return { kind: 'stream', report: meter.report() };
}

const body = (text: string, o: Partial<{ answer: boolean; bytes: number; overflowed: boolean }> = {}): Seen => ({
  kind: 'body', answer: o.answer ?? true, bytes: o.bytes ?? Buffer.byteLength(text), overflowed: o.overflowed ?? false, text: () => text,
});

describe('measure', () => {
  it('a stream that reported its usage is charged that usage', () => {
    const m = measure({ seen: streamed('openai-chat-stream-usage.sse'), how: 'done', dialect: chat, promptBytes: 100 });
    expect(m.outcome).toBe('ok');
    expect(m.charge).toMatchObject({ kind: 'reported', usage: { promptTokens: 78, completionTokens: 9, totalTokens: 87 }, model: 'gpt-4o-mini-2024-07-18' });
  });

  it('a stream cut off before its usage, after output, is charged a count of what was streamed', () => {
    const full = fixture('openai-chat-stream-usage.sse');
    const m = measure({ seen: streamed('openai-chat-stream-usage.sse', full.indexOf('"finish_reason":"stop"')), how: 'client_abort', dialect: chat, promptBytes: 100 });
    expect(m.outcome).toBe('aborted');
    expect(m.charge.kind).toBe('count');
    expect(m.charge.kind === 'count' && m.charge.outputText.length).toBeGreaterThan(0);
  });

  it('a stream that broke off before any event costs nothing', () => {
    const m = measure({ seen: streamed('openai-chat-stream-usage.sse', 0), how: 'upstream_error', dialect: chat, promptBytes: 100 });
    expect(m).toEqual({ outcome: 'upstream_error', charge: { kind: 'nothing', model: null } });
  });

  it('a JSON body is charged the usage it reports', () => {
    const m = measure({ seen: body(fixture('openai-chat.json')), how: 'done', dialect: chat, promptBytes: 10 });
    expect(m.charge).toMatchObject({ kind: 'reported', usage: { totalTokens: 379 }, model: 'gpt-4.1-nano-2025-04-14' });
  });

  it('a JSON body with no usage, or cut short, is counted from its text', () => {
    expect(measure({ seen: body('{"choices":[{"message":{"content":"hi"}}]}'), how: 'done', dialect: chat, promptBytes: 10 }).charge.kind).toBe('count');
    expect(measure({ seen: body('{"choices":[{"mess'), how: 'upstream_error', dialect: chat, promptBytes: 10 })).toMatchObject({ outcome: 'upstream_error', charge: { kind: 'count' } });
  });

  it('headers and not one byte before it broke off cost nothing; neither does a page that is not an answer', () => {
    expect(measure({ seen: body(''), how: 'client_abort', dialect: chat, promptBytes: 10 }).charge.kind).toBe('nothing');
    expect(measure({ seen: body('<html>bad gateway</html>', { answer: false }), how: 'done', dialect: chat, promptBytes: 10 }))
      .toEqual({ outcome: 'upstream_error', charge: { kind: 'nothing', model: null } });
  });

  it('a body too large to keep is charged roughly, four bytes a token', () => {
    const m = measure({ seen: body('', { bytes: 4000, overflowed: true }), how: 'upstream_error', dialect: chat, promptBytes: 400 });
    expect(m.charge).toMatchObject({ kind: 'rough', usage: { promptTokens: 100, completionTokens: 1000 } });
  });
});
