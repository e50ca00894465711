// Hostile requests on the Anthropic route (/v1/messages, /v1/messages/count_tokens): each ends in
// a clear error in Anthropic's shape ({"type":"error","error":{"type","message"}}), with no
// upstream call and no charge, and the gateway stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { e2eSuite } from '../support/e2e.js';
import { createHostile, type Hostile } from './harness.js';

const OK = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
const json = (extra: Record<string, unknown>) => JSON.stringify({ ...OK, ...extra });

describe('hostile requests on the Anthropic route', () => {
  let h: Hostile;
  beforeAll(async () => {
    // The test upstream stands in for Anthropic: every case here is refused before reaching it.
    h = await createHostile((url) => ({ upstreams: [{ name: 'anthropic', kind: 'anthropic', base_url: url, default: true }] }));
  });
  afterAll(async () => h.close());

  const send = (body: string, headers: Record<string, string> = {}, path = '/v1/messages') => fetch(h.gw.url + path, {
    method: 'POST', body, headers: { 'x-api-key': h.key, 'content-type': 'application/json', ...headers },
  }).then(async (r) => {
    const b = (await r.json().catch(() => ({}))) as { type?: string; error?: { type?: string; message?: string } };
    expect({ status: r.status, type: b.type, errorType: typeof b.error?.type, message: typeof b.error?.message },
      `an Anthropic-shaped error for ${r.status}`).toEqual({ status: r.status, type: 'error', errorType: 'string', message: 'string' });
    return r.status;
  });

  const CASES: Array<[string, string, number, Record<string, string>?]> = [
    ['not JSON', 'hello', 400],
    ['truncated JSON', '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"us', 400],
    ['no max_tokens', JSON.stringify({ model: 'claude-sonnet-4-5', messages: [] }), 400],
    ['max_tokens zero', json({ max_tokens: 0 }), 400],
    ['max_tokens negative', json({ max_tokens: -1 }), 400],
    ['max_tokens 10^12', json({ max_tokens: 1e12 }), 400],
    ['max_tokens a string', json({ max_tokens: '100' }), 400],
    ['messages not an array', json({ messages: 'hi' }), 400],
    ['no model', JSON.stringify({ max_tokens: 10, messages: [] }), 400],
    ['a model that is an object', json({ model: { id: 'x' } }), 400],
    ['stream not a boolean', json({ stream: 'yes' }), 400],
    ['nested 10,000 deep', `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 400],
    ['a bad x-api-key', json({}), 401, { 'x-api-key': 'tg-not-a-key' }],
    ['a bad Bearer beside a good x-api-key (Bearer wins)', json({}), 401, { authorization: 'Bearer tg-not-a-key' }],
    ['a text/plain body', json({}), 415, { 'content-type': 'text/plain' }],
    ['2 MB of body', json({ pad: 'p'.repeat(2 * 1024 * 1024) }), 413],
  ];
  for (const [name, body, expected, headers] of CASES) {
    it(`/v1/messages: ${name} -> ${expected}`, () => h.check(`anthropic: ${name}`, () => send(body, headers), { status: expected, rejected: true }));
  }

  it('count_tokens: a bad key, a body that is not JSON', async () => {
    await h.check('anthropic count_tokens: bad key', () => send(json({}), { 'x-api-key': 'tg-nope' }, '/v1/messages/count_tokens'), { status: 401, rejected: true });
    await h.check('anthropic count_tokens: not JSON', () => send('{', {}, '/v1/messages/count_tokens'), { status: 400, rejected: true });
  });

  it('wrong method -> 405 in Anthropic\'s shape', async () => {
    for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
      await h.check(`anthropic wrong method: GET ${path}`, async () => {
        const r = await fetch(h.gw.url + path, { headers: { 'x-api-key': h.key } });
        expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
        return r.status;
      }, { status: 405, rejected: true });
    }
  });

  // Only ?beta=true crosses (src/endpoints/forwarded-query.ts): another value of `beta`, however
  // encoded, is refused here; what is dropped is shown against a real Anthropic upstream below.
  it('a query whose beta is not exactly true -> 400 naming it, on both routes', async () => {
    for (const q of ['beta=false', 'beta=TRUE', 'beta', 'beta=true&beta=1', 'beta=true%26url%3Dhttp%3A%2F%2Fevil', 'b%65ta=tr%00ue', 'beta=true%0d%0aHost:%20evil', 'beta=%F0%9F%92%A5']) {
      for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
        await h.check(`anthropic query: ${path}?${q}`, () => send(json({}), {}, `${path}?${q}`), { status: 400, rejected: true });
      }
    }
  });

  it('over a limit: refused in Anthropic\'s shape before any upstream call', async () => {
    const key = await h.gw.userWithKey('mallory-anthropic', { requests_per_day: 0 });
    await h.check('anthropic: over the request limit', () => send(json({}), { 'x-api-key': key }), { status: 429, rejected: true });
  });
});

describe('hostile query strings on the Anthropic route, against an Anthropic upstream', () => {
  const gw = e2eSuite(() => ({ store: createMemoryStore(), anthropic: {} }));
  let key: string;
  beforeAll(async () => {
    key = await gw.userWithKey('mallory-query', { requests_per_day: 1000 });
  });

  // What the client sent after the path -> what the upstream saw: only beta=true, written by the
  // gateway, whatever else came with it or however it was encoded.
  const SEEN: Array<[string, string]> = [
    ['?beta=true&url=http://169.254.169.254/&path=../../admin', '?beta=true'],
    ['?b%65ta=%74rue', '?beta=true'],
    ['?beta=true&beta=true', '?beta=true'],
    ['?api-version=2024-10-21&x=%00%0d%0a', ''],
    ['?BETA=true&beta%00=true&beta[]=true', ''],
    ['?', ''],
    ['?&&=&%', ''],
  ];
  for (const [query, seen] of SEEN) {
    it(`/v1/messages${query} reaches the upstream as /v1/messages${seen}`, async () => {
      for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
        const r = await fetch(`${gw.url}${path}${query}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });
        expect(r.status).toBe(200);
        await r.arrayBuffer();
        expect(gw.anthropicUpstream.state.requests.at(-1)?.url).toBe(`${path}${seen}`);
      }
    });
  }

  it('a query in the path itself (encoded ?) is no route: 404, nothing sent', async () => {
    const before = gw.anthropicUpstream.state.requests.length;
    const r = await fetch(`${gw.url}/v1/messages%3Fbeta=true`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(404);
    expect(gw.anthropicUpstream.state.requests.length).toBe(before);
  });
});
