// The SSE event scanner behind the hide-usage path: however a stream is split, every byte comes
// out exactly once, and (with LF line endings, what providers send) at the same event boundaries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBoundaryScanner, type ScannedEvents } from '../../src/meter/event-boundaries.js';

/** Events of a whole LF-only text, by reading it a line at a time: an empty line ends an event. */
function referenceEvents(text: string): { events: string[]; rest: string } {
  const events: string[] = [];
  let start = 0;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\n') continue;
    if (i === lineStart) {
      events.push(text.slice(start, i + 1));
      start = i + 1;
    }
    lineStart = i + 1;
  }
  return { events, rest: text.slice(start) };
}

/** Each event a push completed, as text. */
function eventsOf({ bytes, ends }: ScannedEvents): string[] {
  expect(bytes.length).toBe(ends.at(-1) ?? 0);
  return ends.map((end, i) => bytes.toString('latin1', i === 0 ? 0 : ends[i - 1], end));
}

function scanSplit(bytes: Buffer, cuts: number[]): { events: string[]; rest: string } {
  const scanner = createBoundaryScanner();
  const events: string[] = [];
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    events.push(...eventsOf(scanner.push(bytes.subarray(from, to))));
    from = to;
  }
  return { events, rest: Buffer.from(scanner.pending()).toString('latin1') };
}

const line = fc.string({ unit: fc.constantFrom('d', 'a', 't', ':', ' ', '{', '"', 'é'), maxLength: 12 });
const lfText = fc.array(fc.oneof(line.map((l) => `${l}\n`), fc.constant('\n')), { maxLength: 30 }).map((ls) => ls.join(''));
const anyText = fc.array(fc.tuple(line, fc.constantFrom('\n', '\r', '\r\n')), { maxLength: 30 })
  .map((ls) => ls.map(([l, end]) => l + end).join(''));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe('SSE event boundaries', () => {
  it('LF streams: the same events as reading the whole text, however it is split', () => {
    fc.assert(fc.property(lfText, cuts, (text, at) => {
      const bytes = Buffer.from(text, 'latin1');
      expect(scanSplit(bytes, at)).toEqual(referenceEvents(text));
    }), { numRuns: 500 });
  });

  it('any line endings (LF, CR, CRLF, mixed): every byte comes out once, in order', () => {
    fc.assert(fc.property(anyText, cuts, (text, at) => {
      const bytes = Buffer.from(text, 'latin1');
      const { events, rest } = scanSplit(bytes, at);
      expect(events.join('') + rest).toBe(text);
      for (const e of events) expect(e).toMatch(/(\r\n|\r|\n)(\r\n|\r|\n)$|^(\r\n|\r|\n)$/);
    }), { numRuns: 500 });
  });

  it('ends events at CRLF CRLF and CR CR as at LF LF', () => {
    const scanner = createBoundaryScanner();
    const out = eventsOf(scanner.push(Buffer.from('data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d')));
    expect(out).toEqual(['data: a\r\n\r\n', 'data: b\r\r', 'data: c\n\n']);
    expect(Buffer.from(scanner.pending()).toString()).toBe('data: d');
  });
});
