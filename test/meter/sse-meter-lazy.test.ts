// The meter parses only the events that can carry usage, an error or the end, and keeps the rest
// as text until a report needs them. Whatever the stream, the split, hiding or the switch to
// parsing bytes as they come (an event past maxPendingBytes), its report must equal what parsing
// every event of the whole stream at once gives.
import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/endpoints/endpoints.js';
import { chunkDialect } from '../../src/providers/openai/stream-events.js';
import type { Usage } from '../../src/meter/usage.js';
import { createSseMeter } from '../../src/meter/sse-meter.js';

const chunk = (text: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm-1', choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
const usageOnly = (n: number) => `data: ${JSON.stringify({ id: 'c', model: 'm-1', choices: [], usage: { prompt_tokens: 3, completion_tokens: n, total_tokens: 3 + n } })}\n\n`;
const EVENTS = [
  fc.string({ maxLength: 12 }).map(chunk),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map(chunk),
  fc.nat({ max: 99 }).map(usageOnly),
  fc.constant(': keep-alive\n\n'),
  fc.constant('data: [DONE]\n\n'),
  fc.constant('event: error\ndata: {"message":"overloaded"}\n\n'),
  fc.constant('data: {"error":{"message":"boom","code":"x"}}\n\n'),
  fc.constant('data: {"choices":[{"delta":{"content":"two"}}],\ndata: "model":"m-2"}\n\n'),
  fc.constant('data: not json\n\n'),
  fc.constant('id: 7\nretry: 10\n\n'),
  fc.constant('\n'),
  fc.string({ maxLength: 300 }).map((s) => `data: ${JSON.stringify({ choices: [{ delta: { content: s.repeat(8) } }] })}\n\n`),
];

/** Every event of the whole text parsed at once: what the report must say. */
interface Expected {
  events: number;
  usage: Usage | null;
  done: boolean;
  error: { message: string; code: string | null } | null;
  output: string;
}

function reference(text: string): Expected {
  let events = 0;
  let usage: Usage | null = null;
  let done = false;
  let error: { message: string; code: string | null } | null = null;
  let output = '';
  const parser = createParser({
    onEvent: (e) => {
      events++;
      if (e.data === '[DONE]') {
        done = true;
        return;
      }
      const facts = chunkDialect.readEvent(e.event, e.data);
      if (facts?.usage) usage = facts.usage;
      if (facts?.error) error = facts.error;
      if (facts?.usage) return;
      output += chunkDialect.outputOf(e.data) ?? '';
    },
  });
  parser.feed(`${text}\n\n`);
  return { events, usage, done, error, output };
}

describe('SSE meter: lazy parsing reports what parsing everything reports', () => {
  it('for random streams, splits, hiding and oversized events', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(...EVENTS), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), fc.constantFrom(64, 400, 1024 * 1024), fc.boolean(),
      (events, cuts, hide, maxPendingBytes, unterminated) => {
        let text = events.join('');
        if (unterminated && text.endsWith('\n\n')) text = text.slice(0, -2);
        const data = Buffer.from(text);
        const meter = createSseMeter({ dialect: ENDPOINTS.chat.usage, hideUsageChunk: hide, maxPendingBytes });
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        const out: Uint8Array[] = [];
        for (const to of [...points, data.length]) {
          out.push(meter.push(data.subarray(from, to)));
          from = to;
        }
        out.push(meter.flush());
        const r = meter.report();
        const want = reference(data.toString('utf8'));
        expect({ events: r.events, usage: r.usage, done: r.done, error: r.error, output: r.outputText }).toEqual(want);
        expect(r.sawOutput).toBe(want.output !== '' || (want.usage?.completionTokens ?? 0) > 0 || r.outputText !== '');
        // Without hiding, every byte goes through as it came.
        if (!hide) expect(Buffer.concat(out).equals(data)).toBe(true);
      },
    ), { numRuns: 400 });
  });

  it('keeps event texts up to maxTextChars, event by event, however the events arrive', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(...EVENTS), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), fc.constantFrom(40, 200, 1000),
      (events, cuts, hide, maxTextChars) => {
        const data = Buffer.from(events.join(''));
        const meter = createSseMeter({ dialect: ENDPOINTS.chat.usage, hideUsageChunk: hide, maxTextChars });
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const to of [...points, data.length]) {
          meter.push(data.subarray(from, to));
          from = to;
        }
        meter.flush();
        // What keeping each event's text while it fits gives: those that reported usage or the end are not kept.
        let kept = 0;
        let output = '';
        for (const text of data.toString('utf8').split(/(?<=\n\n)/)) {
          const parsed = reference(text);
          if (parsed.usage || parsed.done || kept + text.length > maxTextChars) continue;
          kept += text.length;
          output += parsed.output;
        }
        const r = meter.report();
        expect({ events: r.events, output: r.outputText }).toEqual({ events: reference(data.toString('utf8')).events, output });
      },
    ), { numRuns: 400 });
  });

  it('counts a stream of comments only as no event (it costs nothing)', () => {
    const meter = createSseMeter({ dialect: ENDPOINTS.chat.usage, hideUsageChunk: false });
    meter.push(Buffer.from(': keep-alive\n\n: keep-alive\n\n'));
    meter.flush();
    expect(meter.report().events).toBe(0);
    expect(meter.report().sawOutput).toBe(false);
  });

  it('a report read mid-stream is read again after more events', () => {
    const meter = createSseMeter({ dialect: ENDPOINTS.chat.usage, hideUsageChunk: false });
    meter.push(Buffer.from(chunk('a')));
    expect(meter.report().outputText).toBe('a');
    meter.push(Buffer.from(chunk('b')));
    expect(meter.report().outputText).toBe('ab');
    expect(meter.report().events).toBe(2);
  });

  it('finds the model in the kept events when no parsed event named it', () => {
    const meter = createSseMeter({ dialect: ENDPOINTS.chat.usage, hideUsageChunk: false });
    meter.push(Buffer.from(chunk('a') + chunk('b')));
    meter.flush();
    expect(meter.report().model).toBe('m-1');
    expect(meter.report().outputText).toBe('ab');
  });
});
