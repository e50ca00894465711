// Security properties, each a test: secrets stay where they belong, users stay apart, the upstream
// host comes only from configuration, and key guessing is slowed down. Each test collects what it
// found wrong (a secret where it must not be, another user's data) and records it as leaks for
// `npm run verify:hostile`.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { createManualClock } from '../../src/core/clock.js';
import { ADMIN_KEY, startGateway, UPSTREAM_KEY, type TestGateway } from '../support/gateway.js';
import { reportHostile } from '../support/hostile-report.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';
import { createHostile, rawRequest, type Hostile } from './harness.js';

/** Records what a security test found wrong, then requires it to be nothing. */
async function verdict(name: string, gw: TestGateway, found: string[]): Promise<void> {
  const alive = await fetch(`${gw.url}/healthz`).then((r) => r.ok, () => false);
  reportHostile({ name: `security: ${name}`, crashes: alive ? 0 : 1, upstreamCalls: 0, charges: 0, leaks: found.length });
  expect({ alive, found }).toEqual({ alive: true, found: [] });
}

const chat = (url: string, key: string, headers: Record<string, string> = {}, body: Record<string, unknown> = {}) => fetch(`${url}/v1/chat/completions`, {
  method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ model: 'gpt-4.1-nano', max_tokens: 400, messages: [{ role: 'user', content: 'hi' }], ...body }),
}).then(async (r) => (await r.arrayBuffer(), r.status));

describe('security properties', () => {
  let h: Hostile;
  let evil: TestUpstream;
  beforeAll(async () => {
    h = await createHostile({ 'auth.failures_per_minute': 10, 'upstream.timeouts.headers_ms': 300 });
    evil = await createTestUpstream();
  });
  afterAll(async () => {
    await h.close();
    await evil.close();
  });

  it('a client cannot choose the organization or project the upstream key bills: only the configured ones go upstream', async () => {
    const picked = { 'OpenAI-Organization': 'org-someone-else', 'OpenAI-Project': 'proj_someone_else' };
    const found: string[] = [];
    const from = h.upstream.state.requests.length;
    expect(await chat(h.gw.url, h.key, picked, { model: 'gpt-4o-mini' })).toBe(200);
    for (const r of h.upstream.state.requests.slice(from)) {
      if (r.headers['openai-organization'] !== undefined || r.headers['openai-project'] !== undefined) found.push(`client's org/project sent upstream: ${JSON.stringify(r.headers)}`);
    }
    const upstream = await createTestUpstream();
    const gw = await startGateway({ upstreamUrl: upstream.url, store: createMemoryStore(), overrides: { 'upstream.organization': 'org-ops', 'upstream.project': 'proj_ops' } });
    try {
      const key = await gw.userWithKey('olive', { tokens_per_day: 100_000 });
      expect(await chat(gw.url, key, picked, { model: 'gpt-4o-mini' })).toBe(200);
      const [sent] = upstream.state.requests;
      if (sent?.headers['openai-organization'] !== 'org-ops' || sent.headers['openai-project'] !== 'proj_ops') found.push(`configured org/project not sent: ${JSON.stringify(sent?.headers)}`);
    } finally {
      await gw.close();
      await upstream.close();
    }
    await verdict('org and project are the operator\'s', h.gw, found);
  });

  it('the upstream key never reaches a client, a log line, an error or /metrics; the user key never goes upstream', async () => {
    const seen: string[] = [];
    for (const model of ['gpt-4o-mini', 'fail:500', 'fail:401', 'hostile:html-200', 'hostile:echo-key-401', 'hang-headers']) {
      for (const stream of [false, true]) {
        const r = await h.post(JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }));
        seen.push(JSON.stringify([...r.headers]), await r.text());
      }
    }
    const asUser = await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${UPSTREAM_KEY}`, 'content-type': 'application/json' }, body: '{}' });
    seen.push(await asUser.text(), await (await fetch(`${h.gw.url}/metrics`)).text());
    seen.push(await (await fetch(`${h.gw.url}/admin/settings`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text());
    const found: string[] = [];
    if (seen.join('\n').includes(UPSTREAM_KEY)) found.push('upstream key in a response or /metrics');
    if (h.gw.logLines.join('\n').includes(UPSTREAM_KEY)) found.push('upstream key in a log line');
    if (h.gw.logLines.join('\n').includes(h.key)) found.push('user key in a log line');
    if (JSON.stringify(h.upstream.state.requests.map((r) => [r.headers, r.rawBody])).includes(h.key)) found.push('user key sent upstream');
    if (!h.upstream.state.requests.every((r) => r.headers.authorization === `Bearer ${UPSTREAM_KEY}`)) found.push('an upstream call without the upstream key');
    await verdict('secrets stay put', h.gw, found);
  }, 30_000);

  it.each([
    ['a path climbing out of /v1', 'POST /v1/../admin/users HTTP/1.1'],
    ['an encoded path climbing out of /v1', 'POST /v1/%2e%2e/%2e%2e/chat/completions HTTP/1.1'],
    ['an absolute URL as the path', 'POST http://127.0.0.1:1/v1/chat/completions HTTP/1.1'],
    ['an absolute URL to the other host', 'POST http://127.0.0.1:EVIL/v1/chat/completions HTTP/1.1'],
    ['a double-slash path', 'POST //evil/v1/chat/completions HTTP/1.1'],
    ['a CONNECT to the other host', 'CONNECT 127.0.0.1:EVIL HTTP/1.1'],
  ])('no request reaches another host: %s', async (name, line) => {
    const before = h.upstream.state.started;
    await rawRequest(h.gw.url, [`${line.replace('EVIL', String(evil.port))}\r\nhost: 127.0.0.1:${evil.port}\r\nauthorization: Bearer ${h.key}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`]);
    const found: string[] = [];
    if (evil.state.connections > 0) found.push('a connection to the other host');
    const paths = h.upstream.state.requests.slice(before).map((r) => r.url);
    if (!paths.every((p) => p === '/v1/chat/completions')) found.push(`an upstream path out of the fixed set: ${paths.join(' ')}`);
    await verdict(`no SSRF: ${name}`, h.gw, found);
  });

  it('no header or body field picks the upstream host or path', async () => {
    const before = h.upstream.state.requests.length;
    const statuses: number[] = [];
    const headerSets: Array<Record<string, string>> = [{ 'x-forwarded-host': `127.0.0.1:${evil.port}` }, { 'x-original-url': `http://127.0.0.1:${evil.port}/v1` },
      { forwarded: `host=127.0.0.1:${evil.port}` }, { 'x-forwarded-proto': 'gopher' }];
    for (const headers of headerSets) {
      statuses.push(await chat(h.gw.url, h.key, headers, { model: 'gpt-4o-mini' }));
    }
    for (const body of [{ base_url: `http://127.0.0.1:${evil.port}/v1` }, { model: `http://127.0.0.1:${evil.port}/v1/chat/completions` }, { model: '../../../admin/users' }, { url: `http://127.0.0.1:${evil.port}` }]) {
      statuses.push(await chat(h.gw.url, h.key, {}, body));
    }
    const found: string[] = [];
    if (evil.state.connections > 0) found.push('a connection to the other host');
    if (!h.upstream.state.requests.slice(before).every((r) => r.url === '/v1/chat/completions')) found.push('an upstream path out of the fixed set');
    if (statuses.some((s) => s >= 500)) found.push(`a 5xx: ${statuses.join(',')}`);
    await verdict('no SSRF: headers and body fields', h.gw, found);
  });

  it('the admin API refuses user keys, and user endpoints refuse the admin key', async () => {
    // Refused: 401, or 429 once this address has sent more bad keys in the minute than the limiter
    // allows (a user key is a bad admin key, and the admin key a bad user key).
    const refused = (s: number) => s === 401 || s === 429;
    const found: string[] = [];
    const asUser = (method: string, path: string) => fetch(h.gw.url + path, { method, headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{}' }) }).then((r) => r.status);
    for (const [method, path] of [['GET', '/admin/users'], ['POST', '/admin/users'], ['GET', `/admin/users/${h.user}`], ['PATCH', `/admin/users/${h.user}`], ['POST', `/admin/users/${h.user}/keys`],
      ['GET', `/admin/users/${h.user}/keys`], ['GET', `/admin/ledger?user=${h.user}`], ['GET', '/admin/ledger.csv'], ['GET', '/admin/usage'], ['GET', '/admin/settings'], ['PUT', '/admin/settings'],
      ['POST', `/admin/users/${h.user}/reset`], ['DELETE', '/admin/keys/key_x']] as const) {
      const s = await asUser(method, path);
      if (!refused(s)) found.push(`${method} ${path} with a user key: ${s}`);
    }
    const asAdmin = (method: string, path: string) => fetch(h.gw.url + path, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{"model":"gpt-4o-mini","input":"x","messages":[]}' }) }).then((r) => r.status);
    for (const [method, path] of [['GET', '/v1/quota'], ['GET', '/v1/models'], ['POST', '/v1/chat/completions'], ['POST', '/v1/completions'], ['POST', '/v1/embeddings'], ['POST', '/v1/responses']] as const) {
      const s = await asAdmin(method, path);
      if (!refused(s)) found.push(`${method} ${path} with the admin key: ${s}`);
    }
    await verdict('admin and user keys apart', h.gw, found);
  });

  it('repeated bad keys from one address are slowed down, a valid key from it still works', async () => {
    const wrong = () => fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer tg-guess', 'content-type': 'application/json' }, body: '{}' }).then((r) => r.status);
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push(await wrong());
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.at(-1)).toBe(429);
    const ok = await h.post(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    await verdict('bad keys slowed down', h.gw, []);
  });

  // Regression: "keys seen valid still pass" held only while the key sat in the 1 s auth cache, so a
  // valid user sharing an address (a NAT, a proxy) with a key guesser got 429 for the rest of the minute.
  it('a valid key last seen longer ago than the auth cache still passes an address blocked for bad keys', async () => {
    const clock = createManualClock(Date.UTC(2026, 10, 24, 12, 0, 5));
    const gw = await startGateway({ upstreamUrl: h.upstream.url, store: createMemoryStore({ clock }), clock, overrides: { 'auth.failures_per_minute': 3, 'auth.cache_ms': 1000 } });
    const key = await gw.userWithKey('nat-neighbour');
    const quota = (k: string) => fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${k}` } }).then(async (r) => (await r.arrayBuffer(), r.status));
    expect(await quota(key)).toBe(200);
    clock.advance(5000);
    const guesses: number[] = [];
    for (let i = 0; i < 5; i++) guesses.push(await quota(`tg-guess-${i}`));
    expect(guesses).toEqual([401, 401, 401, 429, 429]);
    expect(await quota(key)).toBe(200);
    expect(await quota('tg-guess-again')).toBe(429);
    await verdict('a valid neighbour of a key guesser still served', gw, []);
    await gw.close();
  });

  it('slows down admin key guessing the same way, and still takes the right admin key', async () => {
    const clock = createManualClock(Date.UTC(2026, 10, 24, 12, 0, 5));
    const gw = await startGateway({ upstreamUrl: h.upstream.url, store: createMemoryStore({ clock }), clock, overrides: { 'auth.failures_per_minute': 3 } });
    const answer = async (r: Response) => {
      await r.arrayBuffer();
      return { status: r.status, retryAfter: r.headers.get('retry-after') };
    };
    const settings = (k: string) => fetch(`${gw.url}/admin/settings`, { headers: { authorization: `Bearer ${k}` } }).then(answer);
    const guesses: number[] = [];
    for (let i = 0; i < 5; i++) guesses.push((await settings(`guess-${i}`)).status);
    expect(guesses).toEqual([401, 401, 401, 429, 429]);
    expect(Number((await settings('guess-again')).retryAfter)).toBeGreaterThan(0);
    expect((await settings(ADMIN_KEY)).status).toBe(200);
    // A bad user key from the same address is refused by the same count.
    expect((await fetch(`${gw.url}/v1/quota`, { headers: { authorization: 'Bearer tg-guess' } }).then(answer)).status).toBe(429);
    // A new minute, a new count.
    clock.advance(60_000);
    expect((await settings('guess-next-minute')).status).toBe(401);
    await verdict('admin key guessing slowed down', gw, []);
    await gw.close();
  });
});

// Users stay apart on both stores: counters, quota and conversation trees are per user.
describe.each(['memory', 'redis'] as const)('users stay apart (%s store)', (kind) => {
  let h: Hostile;
  let redis: Redis | null = null;
  const prefix = `${uniqueId('sec')}:`;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    redis = kind === 'redis' ? testRedis(prefix) : null;
    h = await createHostile({}, kind === 'redis' ? createRedisStore({ client: testRedis(prefix) }) : createMemoryStore());
    alice = await h.gw.userWithKey('alice-sec');
    bob = await h.gw.userWithKey('bob-sec');
  });
  afterAll(async () => {
    await h.close();
    await redis?.quit();
  });

  const quota = async (key: string, query = '', headers: Record<string, string> = {}) =>
    (await (await fetch(`${h.gw.url}/v1/quota${query}`, { headers: { authorization: `Bearer ${key}`, ...headers } })).json()) as { user: string; limits: Array<{ scope: string; used: number; limit: number }> };

  it('a user cannot charge, read or join another user\'s conversation tree by its id', async () => {
    const found: string[] = [];
    expect(await chat(h.gw.url, alice, { 'x-conversation-id': 'shared-root', 'x-conversation-spend-limit-micros': '300' })).toBe(200);
    const tree = async () => (await quota(alice, '', { 'x-conversation-id': 'shared-root' })).limits.find((l) => l.scope === 'conversation');
    const aliceTree = await tree();
    for (let i = 0; i < 3; i++) expect(await chat(h.gw.url, bob, { 'x-conversation-id': 'shared-root' })).toBe(200);
    expect(await chat(h.gw.url, bob, { 'x-conversation-id': 'bob-child', 'x-parent-conversation-id': 'shared-root' })).toBe(200);
    if (JSON.stringify(await tree()) !== JSON.stringify(aliceTree)) found.push('bob changed alice\'s tree');
    const bobView = (await quota(bob, '', { 'x-conversation-id': 'shared-root' })).limits.find((l) => l.scope === 'conversation');
    if (bobView !== undefined) found.push(`bob reads a tree under alice's id: ${JSON.stringify(bobView)}`);
    expect(await chat(h.gw.url, alice, { 'x-conversation-id': 'shared-root' })).toBe(200);
    if (redis) {
      // Every key naming the tree lives under its user's hash tag: no tree is shared between users.
      const names = await redis.keys(`${prefix}*shared-root*`);
      const owners = new Set(names.map((n) => /\{u:([^}]+)\}/.exec(n)?.[1] ?? 'none'));
      if ([...owners].some((o) => o !== 'alice-sec' && o !== 'bob-sec')) found.push(`a tree key outside a user's tag: ${names.join(' ')}`);
    }
    await verdict(`trees are per user (${kind})`, h.gw, found);
  });

  it('a user reads only their own quota, whatever the query says', async () => {
    const found: string[] = [];
    for (const query of ['?user=alice-sec', '?user_id=alice-sec', '?userId=alice-sec&user=alice-sec']) {
      const q = await quota(bob, query);
      if (q.user !== 'bob-sec') found.push(`quota${query} answered for ${q.user}`);
    }
    await verdict(`quota is per user (${kind})`, h.gw, found);
  });
});

describe('keys at rest (redis store)', () => {
  let h: Hostile;
  let redis: Redis;
  const prefix = `${uniqueId('rest')}:`;
  beforeAll(async () => {
    redis = testRedis(prefix);
    h = await createHostile({}, createRedisStore({ client: testRedis(prefix) }));
  });
  afterAll(async () => {
    await h.close();
    await redis.quit();
  });

  /** Every key name under the prefix and everything stored in it, whatever its type. */
  async function everything(): Promise<{ names: string[]; text: string }> {
    const names = (await redis.keys(`${prefix}*`)).map((n) => n.slice(prefix.length));
    const parts: string[] = [];
    for (const n of names) {
      const type = await redis.type(n);
      if (type === 'string') parts.push(String(await redis.get(n)));
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(n)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(n)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(n, '0', '-1')));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(n, 0, -1)));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(n, '-', '+')));
      else parts.push(`<${type}>`);
    }
    return { names, text: names.join('\n') + parts.join('\n') };
  }

  it('an API key is stored only as its SHA-256 digest, before and after it is used', async () => {
    const found: string[] = [];
    const stored = await everything();
    if (stored.text.includes(h.key)) found.push('the key in Redis after it was made');
    if (!stored.names.includes(`tg:key:${createHash('sha256').update(h.key).digest('hex')}`)) found.push('no digest record for the key');
    expect(await chat(h.gw.url, h.key, { 'x-conversation-id': 'c-rest' }, { model: 'gpt-4o-mini' })).toBe(200);
    await expect.poll(() => h.gw.inFlight.settling).toBe(0);
    const after = await everything();
    if (after.text.includes(h.key)) found.push('the key in Redis after a request');
    if (after.text.includes(UPSTREAM_KEY)) found.push('the upstream key in Redis');
    if (after.text.includes(h.key.slice(3))) found.push('the key body (without its prefix) in Redis');
    await verdict('keys at rest are digests', h.gw, found);
  });
});
