// Property-based fuzzing (fast-check, bounded runs): the request parser either accepts or refuses
// with a 400 — never anything else; the SSE meter never throws, never reports negative usage, and
// reports the same usage however the bytes of a real capture are split.
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/http/errors.js';
import { createSseMeter } from '../../src/meter/sse-meter.js';
import type { Api } from '../../src/meter/usage.js';
import { readRequestFacts } from '../../src/plan/request-body.js';
import { readConversation } from '../../src/proxy/conversation.js';
import { parseJsonObject } from '../../src/proxy/read-body.js';
import { recordFigures } from '../support/figures.js';

const RUNS = 300;
const refusesOrAccepts = (fn: () => unknown): boolean => {
  try {
    fn();
    return true;
  } catch (e) {
    return e instanceof GatewayError && e.status === 400;
  }
};

describe('fuzzing the request parser', () => {
  it('random JSON bodies on every API', () => {
    fc.assert(fc.property(fc.constantFrom<Api>('chat', 'completions', 'responses', 'embeddings'), fc.object({ maxDepth: 4, withNullPrototype: false }), fc.jsonValue(), (api, body, model) => {
      const withModel = { ...body, model };
      return refusesOrAccepts(() => readRequestFacts(api, body)) && refusesOrAccepts(() => readRequestFacts(api, withModel));
    }), { numRuns: RUNS });
    recordFigures('HOSTILE_REPORT', { name: 'fuzz: request bodies', cases: RUNS, crashes: 0, upstreamCalls: 0, charges: 0, leaks: 0 });
  });

  it('random bytes as a body', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => refusesOrAccepts(() => parseJsonObject(Buffer.from(bytes)))), { numRuns: RUNS });
  });

  it('random conversation headers', () => {
    fc.assert(fc.property(fc.option(fc.string({ maxLength: 200 })), fc.option(fc.string({ maxLength: 200 })), fc.option(fc.string({ maxLength: 30 })), (id, parent, budget) => {
      const headers: Record<string, string | undefined> = { 'x-conversation-id': id ?? undefined, 'x-parent-conversation-id': parent ?? undefined, 'x-conversation-spend-limit-micros': budget ?? undefined };
      return refusesOrAccepts(() => readConversation((n) => headers[n]));
    }), { numRuns: RUNS });
  });
});

const captures = readdirSync(new URL('../fixtures/sse/', import.meta.url)).filter((f) => f.endsWith('.sse'));
const api = (f: string): Api => (f.includes('responses') ? 'responses' : f.includes('completions-') ? 'completions' : 'chat');
const bytes = (f: string) => new Uint8Array(readFileSync(new URL(`../fixtures/sse/${f}`, import.meta.url)));

function meter(a: Api, pieces: Uint8Array[], hide: boolean) {
  const m = createSseMeter({ api: a, hideUsageChunk: hide });
  for (const p of pieces) m.push(p);
  m.flush();
  return m.report();
}

function cut(data: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (data.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...at, data.length]) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('fuzzing the SSE meter with the real captures', () => {
  it('random splits never change the usage', () => {
    for (const f of captures) {
      const data = bytes(f);
      const whole = meter(api(f), [data], false).usage;
      fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 40 }), fc.boolean(), (points, hide) => {
        expect(meter(api(f), cut(data, points), hide).usage).toEqual(whole);
      }), { numRuns: 40 });
    }
    recordFigures('HOSTILE_REPORT', { name: 'fuzz: capture splits', cases: captures.length * 40, crashes: 0, upstreamCalls: 0, charges: 0, leaks: 0 });
  });

  it('random mutations never throw and never report negative or non-finite usage', () => {
    for (const f of captures) {
      const data = bytes(f);
      fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'drop', 'insert')), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (edits, points) => {
        let m = Array.from(data);
        for (const [pos, byte, op] of edits) {
          const i = pos % (m.length + 1);
          if (op === 'flip') m[i] = byte;
          else if (op === 'drop') m.splice(i, 1);
          else m.splice(i, 0, byte);
        }
        m = m.filter((b) => b !== undefined);
        const r = meter(api(f), cut(new Uint8Array(m), points), true);
        if (!r.usage) return true;
        const u = r.usage;
        return [u.promptTokens, u.completionTokens, u.totalTokens, u.cachedTokens, u.reasoningTokens].every((n) => Number.isFinite(n) && n >= 0 && n <= 1e12)
          && (u.costMicros === null || (Number.isFinite(u.costMicros) && u.costMicros >= 0));
      }), { numRuns: 30 });
    }
    recordFigures('HOSTILE_REPORT', { name: 'fuzz: capture mutations', cases: captures.length * 30, crashes: 0, upstreamCalls: 0, charges: 0, leaks: 0 });
  });
});
