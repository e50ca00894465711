// Bad input and failed upstreams: each a clear OpenAI-shaped error that costs the user nothing
// (a request that reached, or was sent to, the upstream still counts in the request rates).
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { startGateway } from '../support/gateway.js';
import { createTestUpstream } from '../support/upstream.js';

describe('bad input and failures cost nothing', () => {
  const gw = e2eSuite(() => ({ store: createMemoryStore(), overrides: { 'server.body_limit_bytes': 4096 } }));
  let key: string;

  beforeAll(async () => {
    key = await gw.userWithKey('carol', { tokens_per_day: 100_000, requests_per_day: 100, max_parallel_requests: 2 });
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(gw.url + path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body });
  const errorOf = async (r: Response) => ((await r.json()) as { error: { message: string; code: string; type: string; param: string | null } }).error;
  const used = async () => {
    const q = (await (await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${key}` } })).json()) as { limits: Array<{ dimension: string; used: number; reserved: number }> };
    return q.limits.filter((l) => l.dimension !== 'parallel_requests').map((l) => [l.dimension, l.used, l.reserved]);
  };

  it.each([
    ['no Authorization header', {}, 'invalid_api_key'],
    ['a key Tollgate never issued', { authorization: 'Bearer tg-not-a-key' }, 'invalid_api_key'],
    ['a malformed Authorization header', { authorization: 'Basic abc' }, 'invalid_api_key'],
    ['the admin key', { authorization: 'Bearer test-admin-key-0123456789abcdef' }, 'invalid_api_key'],
  ])('401 for %s', async (_what, headers, code) => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"model":"m","messages":[]}' });
    expect(r.status).toBe(401);
    expect((await errorOf(r)).code).toBe(code);
  });

  it.each([
    ['not JSON', '{not json', null],
    ['JSON that is not an object', '[1,2]', null],
    ['no model', '{"messages":[]}', 'model'],
    ['a model that is not a string', '{"model":7,"messages":[]}', 'model'],
    ['messages that is not an array', '{"model":"gpt-4o-mini","messages":"hi"}', 'messages'],
    ['a negative max_tokens', '{"model":"gpt-4o-mini","messages":[],"max_tokens":-1}', 'max_tokens'],
    ['a fractional max_tokens', '{"model":"gpt-4o-mini","messages":[],"max_tokens":1.5}', 'max_tokens'],
    ['a string max_tokens', '{"model":"gpt-4o-mini","messages":[],"max_tokens":"10"}', 'max_tokens'],
    ['stream that is not a boolean', '{"model":"gpt-4o-mini","messages":[],"stream":"yes"}', 'stream'],
  ])('400 for a body with %s, and nothing reserved', async (_what, body, param) => {
    const requests = gw.upstream.state.requests.length;
    const r = await post('/v1/chat/completions', body);
    expect(r.status).toBe(400);
    const e = await errorOf(r);
    expect(e.code).toBe('invalid_request_error');
    expect(e.param).toBe(param);
    expect(gw.upstream.state.requests.length).toBe(requests);
    expect((await used()).every(([, u, resv]) => u === 0 && resv === 0)).toBe(true);
  });

  it('400 for a bad conversation id', async () => {
    const r = await post('/v1/chat/completions', '{"model":"gpt-4o-mini","messages":[]}', { 'x-conversation-id': 'has space' });
    expect(r.status).toBe(400);
    expect((await errorOf(r)).param).toBe('x-conversation-id');
  });

  it('413 for a body over the configured size', async () => {
    const r = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }));
    expect(r.status).toBe(413);
    expect((await errorOf(r)).code).toBe('request_too_large');
  });

  it('404 in OpenAI\'s shape for an unmetered /v1 path, 405 for a wrong method', async () => {
    const nf = await post('/v1/audio/speech', '{}');
    expect(nf.status).toBe(404);
    expect((await errorOf(nf)).message).toContain('/v1/audio/speech');
    const wrong = await fetch(`${gw.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${key}` } });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('passes an upstream error through and charges nothing but its request count', async () => {
    const r = await post('/v1/chat/completions', '{"model":"fail:503","messages":[{"role":"user","content":"hi"}]}');
    expect(r.status).toBe(503);
    expect((await errorOf(r)).message).toBe('upstream failure (test)');
    expect(await used()).toEqual([['requests', 1, 0], ['tokens', 0, 0]]);
  });

  it('502 when the upstream cannot be reached, with the reservation released (each try counts as a request)', async () => {
    const dead = await createTestUpstream();
    const url = dead.url;
    await dead.close();
    const lonely = await startGateway({ upstreamUrl: url, store: createMemoryStore() });
    const k = await lonely.userWithKey('dave', { requests_per_day: 5, max_parallel_requests: 1 });
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${lonely.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' });
      expect(r.status).toBe(502);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('upstream_unreachable');
    }
    const q = (await (await fetch(`${lonely.url}/v1/quota`, { headers: { authorization: `Bearer ${k}` } })).json()) as { limits: Array<{ dimension: string; used: number; reserved: number }> };
    expect(q.limits.find((l) => l.dimension === 'requests')).toMatchObject({ used: 3, reserved: 0 });
    expect(q.limits.find((l) => l.dimension === 'parallel_requests')).toMatchObject({ used: 0 });
    await lonely.close();
  });
});
