// Hostile requests: each ends in a clear OpenAI-shaped error (or, for unknown fields, passes
// through untouched), with no upstream call and no charge, and the gateway stays up.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostile, rawRequest, trickledHeaders, type Hostile } from './harness.js';

const OK_BODY = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const json = (extra: Record<string, unknown>) => JSON.stringify({ ...OK_BODY, ...extra });

describe('hostile requests', () => {
  let h: Hostile;
  beforeAll(async () => {
    h = await createHostile({ 'server.headers_timeout_ms': 500, 'server.request_timeout_ms': 1000 });
  });
  afterAll(async () => h.close());

  const status = (p: Promise<Response>) => p.then(async (r) => {
    const body = (await r.json().catch(() => ({}))) as { error?: { message?: string; code?: string } };
    if (r.status >= 400) expect(body.error?.message, `an OpenAI-shaped error for ${r.status}`).toBeTruthy();
    return r.status;
  });

  const BODIES: Array<[string, string | Buffer, number]> = [
    ['not JSON', 'hello there', 400],
    ['JSON that is not an object', '[1,2,3]', 400],
    ['truncated JSON', '{"model":"gpt-4o-mini","messages":[{"role":"us', 400],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"model":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), 400],
    ['nested 10,000 deep', `{"model":"gpt-4o-mini","messages":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 400],
    ['nested objects 10,000 deep', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, 400],
    ['no model', JSON.stringify({ messages: [] }), 400],
    ['a model that is a number', json({ model: 42 }), 400],
    ['messages not an array', json({ messages: { role: 'user' } }), 400],
    ['max_tokens negative', json({ max_tokens: -5 }), 400],
    ['max_tokens zero', json({ max_tokens: 0 }), 400],
    ['max_tokens fractional', json({ max_tokens: 2.5 }), 400],
    ['max_tokens 10^12', json({ max_tokens: 1e12 }), 400],
    ['max_tokens a string', json({ max_tokens: '100' }), 400],
    ['stream not a boolean', json({ stream: 'true' }), 400],
    ['n too large', json({ n: 1000 }), 400],
    ['n zero', json({ n: 0 }), 400],
    ['n a string', json({ n: '2' }), 400],
    ['a 100 KB model name', json({ model: 'm'.repeat(100 * 1024) }), 400],
    ['an empty model name', json({ model: '' }), 400],
    ['max_completion_tokens negative beside a good max_tokens', json({ max_tokens: 10, max_completion_tokens: -1 }), 400],
    ['an empty body', '', 400],
    ['a UTF-8 BOM before the JSON', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json({}))]), 400],
    ['JSON null', 'null', 400],
    ['a JSON string', '"{\\"model\\":\\"gpt-4o-mini\\"}"', 400],
  ];
  for (const [name, body, expected] of BODIES) {
    it(`body: ${name} -> ${expected}`, () => h.check(`body: ${name}`, () => status(h.post(body)), { status: expected, rejected: true }));
  }

  it('a model not allowed for the key -> 403', async () => {
    await h.gw.admin('POST', '/admin/users', { id: 'narrow', allowed_models: ['gpt-4o-mini'] });
    const k = ((await h.gw.admin('POST', '/admin/users/narrow/keys', {})).json.key) as string;
    await h.check('model not allowed', () => status(h.post(json({ model: 'gpt-4o' }), { authorization: `Bearer ${k}` })), { status: 403, rejected: true });
  });

  it('a 100 MB body is refused while it streams in, not after', async () => {
    await h.check('100 MB body', () => new Promise<number>((resolve) => {
      const req = http.request(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' } });
      req.on('response', (res) => {
        res.resume();
        expect(sent, 'MB sent when the 413 came').toBeLessThan(100);
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', () => resolve(0));
      const mb = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 100 && !req.destroyed) {
          sent++;
          if (!req.write(mb)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    }), { status: [413, 0], rejected: true });
  });

  it('a 100 MB Content-Length is refused at once, before any of the body is read', () =>
    h.check('100 MB declared', () => new Promise<number>((resolve) => {
      const req = http.request(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', () => resolve(0));
      req.write('{"model":');
    }), { status: 413, rejected: true }));

  // Decided: fields Tollgate does not know are the upstream's business. They go upstream byte for
  // byte (a ceiling or include_usage Tollgate adds is put in front of them) and cost what the request costs.
  it('unknown fields pass through untouched, byte for byte', async () => {
    const extra = '"x_custom_flag":{"deep":[1,2.50,-0]},"top_k":3,"seed":12345678901234567890,"logit_bias":{"50256":-100},"note":"\\u00e9\\ud83d\\ude00"';
    const sent = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],${extra}}`;
    const r = await h.post(sent);
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    expect(h.upstream.state.requests.at(-1)?.rawBody).toContain(extra);
    // A ceiling the client sent and cannot afford is lowered in place: still byte for byte around it.
    const lowered = await h.post(`{"model":"gpt-4o-mini","max_tokens":10000000,"messages":[{"role":"user","content":"hi"}],${extra}}`);
    expect(lowered.status).toBe(200);
    await lowered.arrayBuffer();
    const upstream = h.upstream.state.requests.at(-1);
    expect(upstream?.rawBody).toContain(extra);
    expect((upstream?.body as { max_tokens: number }).max_tokens).toBeLessThan(10_000_000);
  });

  it('a __proto__ field passes through as data and pollutes nothing', async () => {
    const r = await h.post('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"__proto__":{"polluted":true,"max_tokens":-1},"constructor":{"prototype":{"polluted":true}}}');
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(h.upstream.state.requests.at(-1)?.rawBody).toContain('"__proto__":{"polluted":true,"max_tokens":-1}');
  });

  // Decided: n > 1 (up to 128) is served, and the output ceiling is reserved once per choice.
  it('n = 3 reserves the output ceiling three times while it runs, then settles what was used', async () => {
    const body = json({ model: 'slow:40:openai-chat-stream-usage.sse', stream: true, n: 3, max_tokens: 100 });
    const before = await h.usage();
    const r = await h.post(body);
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const q = (await (await fetch(`${h.gw.url}/v1/quota`, { headers: { authorization: `Bearer ${h.key}` } })).json()) as { limits: Array<{ dimension: string; window: string; reserved: number }> };
    // Three output ceilings, plus a prompt estimate that (for a model whose tokenizer is unknown) is
    // the text's size at most.
    const reserved = q.limits.find((l) => l.dimension === 'tokens' && l.window === 'day')?.reserved ?? 0;
    expect(reserved - 3 * 100).toBeGreaterThan(0);
    expect(reserved - 3 * 100).toBeLessThanOrEqual(Buffer.byteLength(body));
    while (!(await reader.read()).done);
    await expect.poll(() => h.gw.inFlight.requests + h.gw.inFlight.settling).toBe(0);
    const [record] = await h.gw.store.ledger(h.user, 1);
    expect(record).toMatchObject({ outcome: 'ok', estimated: false });
    expect((await h.usage()) - before).toBeGreaterThan(0);
  });

  it.each([
    ['no Content-Type at all', undefined, 200],
    ['application/json; charset=utf-8', 'application/json; charset=utf-8', 200],
    ['application/vnd.api+json', 'application/vnd.api+json', 200],
  ])('Content-Type %s is accepted', async (_name, type, expected) => {
    const r = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', body: new Blob([json({})]), headers: { authorization: `Bearer ${h.key}`, ...(type ? { 'content-type': type } : {}) } });
    expect(r.status).toBe(expected);
    await r.arrayBuffer();
  });

  // Regression: the client's own X-Request-Id was the key a reservation was settled under, so a
  // client repeating one id was served for free after its first request (the settle counted as a
  // repeat), and each of those reservations stayed held until it expired.
  it('a client repeating its own X-Request-Id is charged for every request, and holds nothing after', async () => {
    const before = await h.usage();
    const charges: number[] = [];
    for (let i = 0; i < 3; i++) {
      const last = await h.usage();
      const r = await h.post(json({}), { 'x-request-id': 'my-own-id-0001' });
      await r.arrayBuffer();
      expect(r.headers.get('x-request-id')).toBe('my-own-id-0001');
      await expect.poll(() => h.gw.inFlight.requests + h.gw.inFlight.settling).toBe(0);
      charges.push((await h.usage()) - last);
    }
    expect(charges.every((c) => c > 0 && c === charges[0])).toBe(true);
    const records = await h.gw.store.ledger(h.user, 3);
    expect(records.map((r) => r.requestId)).toEqual(['my-own-id-0001', 'my-own-id-0001', 'my-own-id-0001']);
    const q = (await (await fetch(`${h.gw.url}/v1/quota`, { headers: { authorization: `Bearer ${h.key}` } })).json()) as { limits: Array<{ reserved: number }> };
    expect(q.limits.every((l) => l.reserved === 0)).toBe(true);
    expect((await h.usage()) - before).toBe(3 * (charges[0] as number));
  });

  it('a hostile X-Request-Id is not echoed: a fresh id is used', async () => {
    for (const given of ['x'.repeat(10 * 1024), 'short', 'has space in it', '<script>alert(1)</script>']) {
      const r = await h.post(json({}), { 'x-request-id': given });
      await r.arrayBuffer();
      expect(r.headers.get('x-request-id')).toMatch(/^tg_[0-9a-f]{32}$/);
      expect(h.upstream.state.requests.at(-1)?.headers['x-request-id']).toBe(r.headers.get('x-request-id'));
    }
  });

  const HEADERS: Array<[string, Record<string, string>, number]> = [
    ['no Authorization', { authorization: '' }, 401],
    ['a malformed Authorization', { authorization: 'Token abc' }, 401],
    ['a key of the right prefix but wrong', { authorization: 'Bearer tg-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 401],
    ['a conversation id with spaces', { 'x-conversation-id': 'a b' }, 400],
    ['a 10 KB conversation id', { 'x-conversation-id': 'a'.repeat(10_240) }, 400],
    ['a budget of -1', { 'x-conversation-id': 'c1', 'x-conversation-spend-limit-micros': '-1' }, 400],
    ['a budget of 0', { 'x-conversation-id': 'c1', 'x-conversation-spend-limit-micros': '0' }, 400],
    ['a budget of 1e9 (exponent)', { 'x-conversation-id': 'c1', 'x-conversation-spend-limit-micros': '1e9' }, 400],
    ['a budget of abc', { 'x-conversation-id': 'c1', 'x-conversation-spend-limit-micros': 'abc' }, 400],
    ['a budget of 2^64', { 'x-conversation-id': 'c1', 'x-conversation-spend-limit-micros': '18446744073709551616' }, 400],
    ['Content-Type text/plain', { 'content-type': 'text/plain' }, 415],
    ['Content-Type form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ['Content-Type multipart', { 'content-type': 'multipart/form-data; boundary=x' }, 415],
    ['Content-Type json-looking', { 'content-type': 'text/json-ish' }, 415],
    ['a 10 KB bearer token', { authorization: `Bearer tg-${'A'.repeat(10 * 1024)}` }, 401],
    ['Bearer with no token', { authorization: 'Bearer ' }, 401],
    ['the key without Bearer', { authorization: 'tg-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 401],
    ['a parent conversation id without a conversation id', { 'x-parent-conversation-id': 'p1' }, 400],
    ['a parent conversation id with a slash', { 'x-conversation-id': 'c1', 'x-parent-conversation-id': '../p1' }, 400],
    ['a budget with a plus sign', { 'x-conversation-id': 'c1', 'x-conversation-spend-limit-micros': '+5' }, 400],
    ['a budget with a fraction', { 'x-conversation-id': 'c1', 'x-conversation-spend-limit-micros': '5.5' }, 400],
  ];
  for (const [name, headers, expected] of HEADERS) {
    it(`headers: ${name} -> ${expected}`, () => h.check(`headers: ${name}`, () => status(h.post(json({}), headers)), { status: expected, rejected: true }));
  }

  it('8 KB of headers are fine', async () => {
    const r = await h.post(json({}), { 'x-junk': 'j'.repeat(8 * 1024) });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
  });

  it.each([
    ['a newline in the conversation id', 'x-conversation-id: a\nb'],
    ['a unicode conversation id', Buffer.concat([Buffer.from('x-conversation-id: '), Buffer.from('éé', 'utf8')]).toString('latin1')],
  ])('raw: %s -> 400', (name, line) => h.check(`raw: ${name}`, () => rawRequest(h.gw.url, [
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.key}\r\ncontent-type: application/json\r\n${line}\r\ncontent-length: ${json({}).length}\r\nconnection: close\r\n\r\n${json({})}`,
  ]), { status: 400, rejected: true }));

  // Requests Node's parser refuses before the app sees them: still answered in OpenAI's shape.
  const head = () => `host: x\r\nauthorization: Bearer ${h.key}\r\ncontent-type: application/json\r\n`;
  it.each([
    ['20 KB of headers (past Node\'s 16 KB)', 431, () => `POST /v1/chat/completions HTTP/1.1\r\n${head()}x-junk: ${'j'.repeat(20 * 1024)}\r\ncontent-length: 2\r\n\r\n{}`],
    ['Content-Length and Transfer-Encoding both (smuggling)', 400, () => `POST /v1/chat/completions HTTP/1.1\r\n${head()}content-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`],
    ['two different Content-Lengths', 400, () => `POST /v1/chat/completions HTTP/1.1\r\n${head()}content-length: 2\r\ncontent-length: 3\r\n\r\n{}`],
    ['a Content-Length that is not a number', 400, () => `POST /v1/chat/completions HTTP/1.1\r\n${head()}content-length: 1e3\r\n\r\n{}`],
    ['a NUL byte in a header value', 400, () => `POST /v1/chat/completions HTTP/1.1\r\n${head()}x-conversation-id: a\u0000b\r\ncontent-length: 2\r\n\r\n{}`],
    ['a malformed request line', 400, () => `POST /v1/chat/completions HTTP/9.9 extra\r\n${head()}content-length: 2\r\n\r\n{}`],
    ['a bad chunk size in a chunked body', 400, () => `POST /v1/chat/completions HTTP/1.1\r\n${head()}transfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
  ] as Array<[string, number, () => string]>)('protocol: %s -> %i', (name, expected, request) =>
    h.check(`protocol: ${name}`, () => rawRequest(h.gw.url, [request()]), { status: expected, rejected: true }));

  it('a budget of 1000000000 (1e9 written out) is taken', async () => {
    const r = await h.post(json({}), { 'x-conversation-id': 'c-billion', 'x-conversation-spend-limit-micros': '1000000000' });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
  });

  it('wrong method -> 405, unknown route -> 404', async () => {
    await h.check('wrong method', () => status(fetch(`${h.gw.url}/v1/embeddings`, { method: 'PUT', headers: { authorization: `Bearer ${h.key}` } })), { status: 405, rejected: true });
    for (const [method, path] of [['DELETE', '/v1/chat/completions'], ['PATCH', '/v1/responses'], ['OPTIONS', '/v1/chat/completions'], ['POST', '/v1/models'], ['DELETE', '/v1/quota']]) {
      await h.check(`wrong method: ${method} ${path}`, () => status(fetch(h.gw.url + path, { method, headers: { authorization: `Bearer ${h.key}` } })), { status: 405, rejected: true });
    }
    await h.check('HEAD on a POST route', () => fetch(`${h.gw.url}/v1/chat/completions`, { method: 'HEAD', headers: { authorization: `Bearer ${h.key}` } }).then((r) => r.status), { status: 405, rejected: true });
    await h.check('unknown route', () => status(h.post(json({}), {}, '/v1/fine_tuning/jobs')), { status: 404, rejected: true });
  });
});

// A slow client is cut off by the server's own timeouts, long before it would give up by itself (it
// trickles for 8 s and then closes: a 408 can only come from the server's timeout). A gateway of
// their own, so nothing else shares its connections.
describe('slow clients', () => {
  let h: Hostile;
  beforeAll(async () => {
    h = await createHostile({ 'server.headers_timeout_ms': 500, 'server.request_timeout_ms': 1000 });
  });
  afterAll(async () => h.close());

  it('a client trickling its headers is cut off by the headers timeout (408), holding nothing', () =>
    h.check('slow headers', () => rawRequest(h.gw.url, trickledHeaders(80), 100), { status: 408, rejected: true }));

  it('a client trickling its body is cut off by the request timeout (408), holding nothing', () =>
    h.check('slow body', () => rawRequest(h.gw.url, [
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${h.key}\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{"model":`,
      ...Array.from({ length: 79 }, () => ' '),
    ], 100), { status: 408, rejected: true }));

  it('a response that streams for longer than the request timeout is not cut (that timeout covers only the request)', async () => {
    const r = await h.post(JSON.stringify({ model: 'slow:50:openai-chat-stream-usage.sse', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    const started = Date.now();
    const text = await r.text();
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(text).toContain('[DONE]');
  });
});
