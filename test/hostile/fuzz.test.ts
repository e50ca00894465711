// Property-based fuzzing (fast-check, bounded runs): the request parser either accepts or refuses
// with a 400 — never anything else — and what it accepts is sane; random requests to a real gateway
// get a 2xx or an OpenAI-shaped 4xx, and a refused one never reaches the upstream or costs anything;
// the SSE meter never throws, never reports negative usage, reports the same usage however the
// bytes of a real capture are split, and passes the bytes through untouched.
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/core/errors.js';
import { createSseMeter } from '../../src/meter/sse-meter.js';
import { ENDPOINTS, type Api } from '../../src/endpoints/endpoints.js';
import { readPromptContent } from '../../src/plan/prompt/prompt-content.js';
import { readRequestFacts, type RequestFacts } from '../../src/plan/request-body.js';
import { readConversation } from '../../src/proxy/conversation.js';
import { parseJsonObject } from '../../src/proxy/read-body.js';
import { rewriteBody } from '../../src/proxy/rewrite-body.js';
import { reportHostile } from '../support/hostile-report.js';
import { createHostile, type Hostile } from './harness.js';

const RUNS = 300;
const fuzzed = (name: string, cases: number) => reportHostile({ name: `fuzz: ${name}`, cases, crashes: 0, upstreamCalls: 0, charges: 0, leaks: 0 });
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
      return refusesOrAccepts(() => readRequestFacts(ENDPOINTS[api], body)) && refusesOrAccepts(() => readRequestFacts(ENDPOINTS[api], withModel));
    }), { numRuns: RUNS });
    fuzzed('request bodies', RUNS);
  });

  // Bodies made of the fields the parser reads, each with any JSON value: what it accepts is sane.
  const FIELDS = ['model', 'messages', 'input', 'stream', 'n', 'max_tokens', 'max_completion_tokens', 'max_output_tokens', 'stream_options', 'prompt'];
  const sane = (f: RequestFacts) => typeof f.model === 'string' && f.model.length > 0 && f.model.length <= 256
    && Number.isInteger(f.choices) && f.choices >= 1 && f.choices <= 128
    && (f.clientCeiling === null || (Number.isInteger(f.clientCeiling) && f.clientCeiling >= 1 && f.clientCeiling <= 10_000_000))
    && typeof f.stream === 'boolean';
  /** What the prompt estimate reads from an accepted body: whole tokens, never negative. */
  const saneContent = (api: Api, body: Record<string, unknown>) => {
    const c = readPromptContent(api, body, { model: String(body.model), tokensPerImage: 1600, tokensPerFile: 10_000 });
    return Number.isInteger(c.fixed) && c.fixed >= 0 && c.chars === c.texts.reduce((n, t) => n + t.length, 0);
  };
  it('bodies of the known fields with any values: refused with a 400, or accepted with sane facts', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.integer(), fc.double(), fc.constantFrom(-1, 0, 1, 2.5, 1e12, 128, 129, '', 'gpt-4o-mini', true, null));
    fc.assert(fc.property(fc.constantFrom<Api>('chat', 'completions', 'responses', 'embeddings'), fc.dictionary(fc.constantFrom(...FIELDS), value), (api, body) => {
      try {
        return sane(readRequestFacts(ENDPOINTS[api], body)) && saneContent(api, body);
      } catch (e) {
        return e instanceof GatewayError && e.status === 400;
      }
    }), { numRuns: RUNS });
    fuzzed('known fields, any values', RUNS);
  });

  // The rewrite must say what it means to (the fields it sets, all else as it was) and keep the
  // client's bytes for every member it does not set, however the body is spaced or repeats keys.
  it('the rewrite of a random body: the same object with the fields set, every other member byte for byte', () => {
    const key = fc.oneof(fc.constantFrom('model', 'max_tokens', 'max_completion_tokens', 'max_output_tokens', 'stream_options', 'messages', 'n'), fc.string({ maxLength: 8 }));
    const member = fc.tuple(key, fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('', ' ', '\n  ', '\t'));
    fc.assert(fc.property(fc.array(member, { maxLength: 8 }), fc.constantFrom<Api>('chat', 'completions', 'responses'), fc.option(fc.integer({ min: 1, max: 100_000 })), fc.boolean(), (members, a, ceiling, forceUsage) => {
      const texts = members.map(([k, v, sp]) => `${sp}${JSON.stringify(k)}${sp}:${sp}${JSON.stringify(v, null, sp.length > 1 ? 2 : undefined)}${sp}`);
      const raw = Buffer.from(`{${texts.join(',')}}`);
      const body = JSON.parse(raw.toString()) as Record<string, unknown>;
      const out = rewriteBody(raw, body, { ceilingFields: ENDPOINTS[a].ceilingFields, ceiling, forceUsage }).toString();
      const got = JSON.parse(out) as Record<string, unknown>;
      const set = Object.keys(got).filter((k) => JSON.stringify(got[k]) !== JSON.stringify(body[k]));
      const allowed = new Set([...(forceUsage ? ['stream_options'] : []), ...(ceiling === null ? [] : ['max_tokens', 'max_completion_tokens', 'max_output_tokens'])]);
      expect(set.every((k) => allowed.has(k))).toBe(true);
      expect(Object.keys(body).every((k) => k in got)).toBe(true);
      if (forceUsage) expect((got.stream_options as Record<string, unknown>).include_usage).toBe(true);
      members.forEach(([k], i) => {
        if (!allowed.has(k)) expect(out).toContain(texts[i]?.trim());
      });
    }), { numRuns: RUNS });
    fuzzed('request rewrites', RUNS);
  });

  it('random bytes as a body', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => refusesOrAccepts(() => parseJsonObject(Buffer.from(bytes)))), { numRuns: RUNS });
    fuzzed('body bytes', RUNS);
  });

  it('JSON text cut, spliced and nested at random as a body', () => {
    const text = fc.tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.nat(), fc.nat({ max: 400 }), fc.constantFrom('[', '{"a":', '"', '\\', '\u0000'))
      .map(([j, cut, at, depth, open]) => {
        const cutAt = cut % (j.length + 1);
        const s = j.slice(0, cutAt) + open.repeat(depth % 200) + j.slice(cutAt);
        return at % 2 === 0 ? s : s.slice(0, at % (s.length + 1));
      });
    fc.assert(fc.property(text, (t) => refusesOrAccepts(() => parseJsonObject(Buffer.from(t)))), { numRuns: RUNS });
    fuzzed('mangled JSON bodies', RUNS);
  });

  it('random conversation headers', () => {
    fc.assert(fc.property(fc.option(fc.string({ maxLength: 200 })), fc.option(fc.string({ maxLength: 200 })), fc.option(fc.string({ maxLength: 30 })), (id, parent, budget) => {
      const headers: Record<string, string | undefined> = { 'x-conversation-id': id ?? undefined, 'x-parent-conversation-id': parent ?? undefined, 'x-conversation-spend-limit-micros': budget ?? undefined };
      return refusesOrAccepts(() => readConversation((n) => headers[n]));
    }), { numRuns: RUNS });
    fuzzed('conversation headers', RUNS);
  });
});

const captures = readdirSync(new URL('../fixtures/sse/', import.meta.url)).filter((f) => f.endsWith('.sse'));
const api = (f: string): Api => (f.includes('responses') ? 'responses' : f.includes('completions-') ? 'completions' : 'chat');
const bytes = (f: string) => new Uint8Array(readFileSync(new URL(`../fixtures/sse/${f}`, import.meta.url)));

function meter(a: Api, pieces: Uint8Array[], hide: boolean) {
  const m = createSseMeter({ dialect: ENDPOINTS[a].usage, hideUsageChunk: hide });
  for (const p of pieces) m.push(p);
  m.flush();
  return m.report();
}

/** The bytes the meter lets through to the client, for these pieces. */
function relayed(a: Api, pieces: Uint8Array[], hide: boolean): Buffer {
  const m = createSseMeter({ dialect: ENDPOINTS[a].usage, hideUsageChunk: hide });
  const out = pieces.map((p) => m.push(p));
  out.push(m.flush());
  return Buffer.concat(out);
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
    fuzzed('capture splits', captures.length * 40);
  });

  it('random splits pass every byte through untouched (or, hiding the usage chunk, the same bytes whatever the split)', () => {
    for (const f of captures) {
      const data = bytes(f);
      const hidden = relayed(api(f), [data], true);
      fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 40 }), (points) => {
        expect(relayed(api(f), cut(data, points), false).equals(Buffer.from(data))).toBe(true);
        expect(relayed(api(f), cut(data, points), true).equals(hidden)).toBe(true);
      }), { numRuns: 20 });
    }
    fuzzed('capture pass-through', captures.length * 20);
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
        const mutated = new Uint8Array(m);
        const r = meter(api(f), cut(mutated, points), true);
        // However garbled, the same bytes split differently say the same thing.
        expect(r.usage).toEqual(meter(api(f), [mutated], true).usage);
        if (!r.usage) return true;
        const u = r.usage;
        return [u.promptTokens, u.completionTokens, u.totalTokens, u.cachedTokens, u.reasoningTokens].every((n) => Number.isFinite(n) && n >= 0 && n <= 1e12)
          && (u.costMicros === null || (Number.isFinite(u.costMicros) && u.costMicros >= 0));
      }), { numRuns: 30 });
    }
    fuzzed('capture mutations', captures.length * 30);
  });
});

// Random requests against a real gateway: each is served, or refused with an OpenAI-shaped 4xx that
// reached no upstream and cost nothing; the gateway stays up throughout.
describe('fuzzing a real gateway with random requests', () => {
  let h: Hostile;
  beforeAll(async () => {
    h = await createHostile({ 'auth.failures_per_minute': 1000 });
  });
  afterAll(async () => h.close());

  const RUNS_HTTP = 80;
  const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
  const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 0, 1, 2.5, 1e12, 3, '', 'gpt-4o-mini', true, null));
  /** Mostly absent: most random requests should get as far as the parts that are not. */
  const seldom = <T>(a: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: a, weight: 1 });
  const body = fc.oneof(
    { weight: 4, arbitrary: fc.record({ model: fc.constantFrom('gpt-4o-mini', 'gpt-4.1-nano', 'm-unknown'), messages: fc.constant([{ role: 'user', content: 'hi' }]),
      extra: fc.dictionary(fc.constantFrom('n', 'max_tokens', 'stream', 'messages', 'model', 'stream_options', 'x'), value, { maxKeys: 2 }) })
      .map(({ extra, ...b }) => JSON.stringify({ ...b, ...extra })) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: printable },
  );
  const headers = fc.record({
    auth: fc.constantFrom('own', 'own', 'own', 'own', 'none', 'mangled', 'random'),
    conversation: seldom(fc.oneof(printable, fc.constantFrom('c-1', 'c.2:x', 'root'))),
    parent: seldom(fc.oneof(printable, fc.constant('root'))),
    budget: seldom(fc.oneof(printable, fc.nat().map(String), fc.constantFrom('-1', '0', '1e9', '18446744073709551616'))),
    requestId: seldom(printable),
    type: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/json; charset=utf-8'),
  });

  it('every random request is served or refused cleanly, and a refused one costs nothing', async () => {
    let refused = 0;
    let served = 0;
    await fc.assert(fc.asyncProperty(body, headers, async (b, hd) => {
      const sent: Record<string, string> = { 'content-type': hd.type };
      if (hd.auth === 'own') sent.authorization = `Bearer ${h.key}`;
      if (hd.auth === 'mangled') sent.authorization = `Bearer ${h.key.slice(0, -1)}x`;
      if (hd.auth === 'random') sent.authorization = `Bearer tg-${hd.requestId ?? 'r'}`;
      if (hd.conversation) sent['x-conversation-id'] = hd.conversation;
      if (hd.parent) sent['x-parent-conversation-id'] = hd.parent;
      if (hd.budget) sent['x-conversation-spend-limit-micros'] = hd.budget;
      if (hd.requestId) sent['x-request-id'] = hd.requestId;
      const calls = h.upstream.state.started;
      const before = await h.usage();
      const r = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: sent, body: b });
      const text = await r.text();
      await expect.poll(() => h.gw.inFlight.requests + h.gw.inFlight.settling).toBe(0);
      if (r.status < 400) return ++served > 0 && r.status === 200;
      refused++;
      const shaped = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
      return r.status < 500 && typeof shaped === 'string' && h.upstream.state.started === calls && (await h.usage()) === before;
    }), { numRuns: RUNS_HTTP });
    expect({ refused: refused > 0, served: served > 0 }).toEqual({ refused: true, served: true });
    const alive = await fetch(`${h.gw.url}/healthz`).then((r) => r.ok, () => false);
    reportHostile({ name: 'fuzz: random requests to a gateway', cases: RUNS_HTTP, crashes: alive ? 0 : 1, upstreamCalls: 0, charges: 0, leaks: h.gw.inFlight.listeners + (await h.slots()) });
    expect(alive).toBe(true);
  }, 60_000);
});
