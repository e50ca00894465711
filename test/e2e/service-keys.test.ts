// An app server in front of Tollgate: one openai client with one service key, the end user named
// per request in X-Tollgate-User. Each end user is metered as if it had its own key — on the
// memory store and on Redis — and no other key can name anyone.
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { e2eSuite, startE2e, type QuotaAnswer } from '../support/e2e.js';
import { ADMIN_KEY } from '../support/gateway.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

const HI = [{ role: 'user' as const, content: 'hi' }];

describe.each(STORES)('service keys acting for end users (%s store)', (_name, makeStore) => {
  const gw = e2eSuite(() => ({ store: makeStore(), overrides: { limits: { requests_per_day: 3, tokens_per_day: 100_000 } }, upstream: { seed: 3 } }));
  let serviceKey: string;
  let app: OpenAI;

  beforeAll(async () => {
    const made = await gw.admin('POST', '/admin/service-keys', { name: 'chat-app' });
    expect(made.status).toBe(201);
    serviceKey = made.json.key as string;
    app = gw.openai(serviceKey);
  });

  const quota = async (key: string, endUser?: string) => {
    const q = await gw.quota(key, endUser ? { 'x-tollgate-user': endUser } : {});
    return { status: q.status, body: q };
  };
  const used = (q: QuotaAnswer, dimension: string) => q.limits.find((l) => l.dimension === dimension && l.window === 'day')?.used;

  it('meters three end users separately through one service key, each against its own limits', async () => {
    const users = ['a', 'b', 'c'].map((l) => uniqueId(`end-${l}`));
    const sends = [2, 1, 3];
    for (const [i, u] of users.entries()) {
      for (let n = 0; n < (sends[i] as number); n++) {
        const { data, response } = await app.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }, { headers: { 'X-Tollgate-User': u } }).withResponse();
        expect(data.usage?.total_tokens).toBe(379);
        expect(response.headers.get('x-ratelimit-remaining-requests')).toBe(String(3 - n - 1));
      }
    }
    for (const [i, u] of users.entries()) {
      const q = await quota(serviceKey, u);
      expect(q.status).toBe(200);
      expect(q.body.user).toBe(u);
      expect(used(q.body, 'requests')).toBe(sends[i]);
      expect(used(q.body, 'tokens')).toBe(379 * (sends[i] as number));
    }
    // The third user has used its 3 requests a day; the others are untouched by that.
    const err = await app.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }, { headers: { 'X-Tollgate-User': users[2] as string } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).error).toMatchObject({ dimension: 'requests', scope: 'account_period', used: 3 });
    await app.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }, { headers: { 'X-Tollgate-User': users[1] as string } });

    const ledger = await gw.admin('GET', `/admin/ledger?user=${users[0] as string}`);
    expect((ledger.json.records as unknown[]).length).toBe(2);
    const listed = await gw.admin('GET', `/admin/users/${users[0] as string}`);
    expect(listed.json).toMatchObject({ id: users[0], created_by: expect.stringMatching(/^key_/) });
    // The end user's id never goes upstream as a header.
    expect(JSON.stringify(gw.upstream.state.requests.at(-1)?.headers)).not.toContain(users[1]);
  });

  it('a client built with defaultHeaders acts for one end user throughout', async () => {
    const dana = uniqueId('dana');
    const perUser = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: serviceKey, maxRetries: 0, defaultHeaders: { 'X-Tollgate-User': dana } });
    const stream = await perUser.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: HI });
    for await (const chunk of stream) void chunk;
    await expect.poll(async () => used((await quota(serviceKey, dana)).body, 'tokens')).toBe(87);
  });

  it('refuses a service key that names no end user, or an id that is not one', async () => {
    const missing = await app.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('missing_end_user');
    expect((await quota(serviceKey)).body.error?.code).toBe('missing_end_user');
    for (const bad of ['', 'a b', 'x'.repeat(129), 'evil{u:x}', 'ümlaut']) {
      const r = await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${serviceKey}`, 'x-tollgate-user': encodeURI(bad) === bad ? bad : encodeURIComponent(bad) } });
      expect(r.status, bad).toBe(400);
    }
  });

  it('a user key cannot impersonate anyone: naming an end user is refused, never obeyed', async () => {
    const victim = uniqueId('victim');
    await gw.userWithKey(victim);
    const mallory = uniqueId('mallory');
    const malloryKey = await gw.userWithKey(mallory);
    const requests = gw.upstream.state.requests.length;
    const client = gw.openai(malloryKey);
    const err = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }, { headers: { 'X-Tollgate-User': victim } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe('end_user_not_allowed');
    expect((await quota(malloryKey, victim)).status).toBe(403);
    expect(gw.upstream.state.requests.length).toBe(requests);
    // Nothing was charged to either, and a body `user` from a user key is only passed upstream.
    expect(used((await quota(malloryKey)).body, 'requests')).toBe(0);
    await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI, user: victim });
    expect((await quota(malloryKey)).body.user).toBe(mallory);
    expect(used((await quota(malloryKey)).body, 'requests')).toBe(1);
    const revoked = await gw.admin('GET', '/admin/service-keys');
    const keyId = (revoked.json.keys as Array<{ keyId: string; name: string; role: string }>).find((k) => k.name === 'chat-app')?.keyId;
    expect(keyId).toMatch(/^key_/);
  });

  it('a disabled end user is refused with 403 user_disabled', async () => {
    const gina = uniqueId('gina');
    expect((await quota(serviceKey, gina)).status).toBe(200);
    expect((await gw.admin('PATCH', `/admin/users/${gina}`, { disabled: true })).status).toBe(200);
    const r = await quota(serviceKey, gina);
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe('user_disabled');
  });

  it('a revoked service key stops working', async () => {
    const made = await gw.admin('POST', '/admin/service-keys', { name: 'short-lived' });
    const key = made.json.key as string;
    expect((await quota(key, uniqueId('e'))).status).toBe(200);
    const del = await fetch(`${gw.url}/admin/keys/${made.json.keyId as string}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(del.status).toBe(204);
    await expect.poll(async () => (await quota(key, uniqueId('e'))).status).toBe(401);
  });
});

describe('end users an operator must create first, and the creation cap', () => {
  const start = (overrides: Record<string, unknown>) => startE2e({ store: createMemoryStore(), overrides });

  it('auth.auto_create_users: false refuses an unknown end user with 403 unknown_user', async () => {
    const gw = await start({ 'auth.auto_create_users': false });
    const key = (await gw.admin('POST', '/admin/service-keys', { name: 'strict' })).json.key as string;
    const known = uniqueId('known');
    await gw.admin('POST', '/admin/users', { id: known });
    const ask = (u: string) => fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${key}`, 'x-tollgate-user': u } });
    const r = await ask(uniqueId('stranger'));
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unknown_user');
    expect((await ask(known)).status).toBe(200);
    await gw.close();
  });

  it('a service key creates at most auth.users_created_per_minute end users a minute', async () => {
    const gw = await start({ 'auth.users_created_per_minute': 2 });
    const key = (await gw.admin('POST', '/admin/service-keys', { name: 'capped' })).json.key as string;
    const ask = (u: string) => fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${key}`, 'x-tollgate-user': u } });
    expect((await ask('u1')).status).toBe(200);
    expect((await ask('u2')).status).toBe(200);
    expect((await ask('u1')).status).toBe(200);
    const third = await ask('u3');
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await gw.admin('GET', '/admin/users/u3')).status).toBe(404);
    await gw.close();
  });

  it('auth.end_user_header names another header, which never goes upstream', async () => {
    const gw = await start({ 'auth.end_user_header': 'X-App-User' });
    const key = (await gw.admin('POST', '/admin/service-keys', { name: 'custom' })).json.key as string;
    const app = gw.openai(key);
    const frank = uniqueId('frank');
    await app.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }, { headers: { 'X-App-User': frank } });
    expect(gw.upstream.state.requests.at(-1)?.headers['x-app-user']).toBeUndefined();
    expect(((await gw.admin('GET', `/admin/ledger?user=${frank}`)).json.records as unknown[]).length).toBe(1);
    const missing = await app.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }, { headers: { 'X-Tollgate-User': frank } }).catch((e: unknown) => e);
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('missing_end_user');
    await gw.close();
  });

  it('auth.end_user_from_body: the body\'s user field names the end user when the header is absent', async () => {
    const gw = await start({ 'auth.end_user_from_body': true });
    const key = (await gw.admin('POST', '/admin/service-keys', { name: 'body' })).json.key as string;
    const app = gw.openai(key);
    const erin = uniqueId('erin');
    await app.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI, user: erin });
    await app.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI, safety_identifier: erin } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const ledger = await gw.admin('GET', `/admin/ledger?user=${erin}`);
    expect((ledger.json.records as unknown[]).length).toBe(2);
    const none = await app.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }).catch((e: unknown) => e);
    expect((none as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('missing_end_user');
    await gw.close();
  });
});
