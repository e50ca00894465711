// A key's own limits inside its user's ("this laptop key: 2 requests a day" inside "this developer:
// 10"), set by the admin API, checked in the same reservation, refused with scope "key", and shown
// in /v1/quota beside the user's rows — on both stores.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

const HI = [{ role: 'user' as const, content: 'hi' }];

describe.each(STORES)('per-key limits (%s store)', (_name, makeStore) => {
  const gw = e2eSuite(() => ({ store: makeStore() }));

  const quota = async (key: string) => (await gw.quota(key)).limits;
  const newKey = async (user: string, body: unknown) => {
    const r = await gw.admin('POST', `/admin/users/${user}/keys`, body);
    expect(r.status).toBe(201);
    return r.json as { key: string; keyId: string };
  };

  it('refuses by the key\'s own limit with scope "key" while the user\'s other keys go on', async () => {
    const user = uniqueId('dev');
    expect((await gw.admin('POST', '/admin/users', { id: user, limits: { requests_per_day: 10, tokens_per_day: 1_000_000 } })).status).toBe(201);
    const laptop = await newKey(user, { name: 'laptop', limits: { requests_per_day: 2 } });
    const ci = await newKey(user, { name: 'ci' });
    const client = gw.openai(laptop.key);
    const { response } = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI });
    const requests = gw.upstream.state.requests.length;
    const err = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).error).toMatchObject({ scope: 'key', dimension: 'requests', window: 'day', limit: 2, used: 2 });
    expect((err as Error).message).toMatch(/this key's requests/);
    expect(gw.upstream.state.requests.length).toBe(requests);

    const other = gw.openai(ci.key);
    await other.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI });
    const rows = await quota(laptop.key);
    expect(rows.find((r) => r.scope === 'key' && r.dimension === 'requests')).toMatchObject({ window: 'day', used: 2, limit: 2, remaining: 0 });
    expect(rows.find((r) => r.scope === 'user' && r.dimension === 'requests' && r.window === 'day')).toMatchObject({ used: 3, limit: 10 });
    expect((await quota(ci.key)).some((r) => r.scope === 'key')).toBe(false);

    // Raised by the admin: the key works again at once (same process), the other limits unchanged.
    const patched = await gw.admin('PATCH', `/admin/keys/${laptop.keyId}`, { limits: { requests_per_day: 5 } });
    expect(patched.status).toBe(200);
    expect(patched.json.limits).toEqual({ requests_per_day: 5 });
    await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI });
    const listed = await gw.admin('GET', `/admin/users/${user}/keys`);
    expect((listed.json.keys as Array<{ name: string; limits: unknown }>).find((k) => k.name === 'laptop')?.limits).toEqual({ requests_per_day: 5 });
    // An admin reset of the user's day frees the key as well.
    await gw.admin('PATCH', `/admin/keys/${laptop.keyId}`, { limits: { requests_per_day: 3 } });
    expect((await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI }).catch((e: unknown) => e))).toBeInstanceOf(OpenAI.RateLimitError);
    expect((await gw.admin('POST', `/admin/users/${user}/reset`, { window: 'day' })).status).toBe(200);
    await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI });
    // null removes a key's limit.
    expect((await gw.admin('PATCH', `/admin/keys/${laptop.keyId}`, { limits: { requests_per_day: null } })).json.limits).toEqual({});
  });

  it('a key\'s spend limit refuses with 402 and scope "key"; a key limit is validated', async () => {
    const user = uniqueId('spender');
    await gw.admin('POST', '/admin/users', { id: user, limits: { spend_micros_per_day: 1_000_000 } });
    const tiny = await newKey(user, { limits: { spend_micros_per_day: 1 } });
    const client = gw.openai(tiny.key);
    const err = await client.chat.completions.create({ model: 'gpt-4.1-nano', messages: HI, max_tokens: 10_000 }).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(402);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ scope: 'key', dimension: 'spend_micros' });

    expect((await gw.admin('PATCH', `/admin/keys/${tiny.keyId}`, { limits: { max_parallel_requests: 2 } })).status).toBe(400);
    expect((await gw.admin('PATCH', `/admin/keys/${tiny.keyId}`, { limits: { tokens_per_year: 2 } })).status).toBe(400);
    expect((await gw.admin('PATCH', '/admin/keys/key_nobody', { limits: {} })).status).toBe(404);
    const service = await gw.admin('POST', '/admin/service-keys', { name: 'svc' });
    expect((await gw.admin('PATCH', `/admin/keys/${service.json.keyId as string}`, { limits: { requests_per_day: 1 } })).status).toBe(400);
  });
});
