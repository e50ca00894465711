// The admin calls a newcomer needs: a user, a key (shown once, kept only as its SHA-256), a
// limit change; bad input is a 400 naming the field, and nothing is half-applied.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { testRedis, uniqueId } from '../support/redis-client.js';

describe('admin basics on Redis', () => {
  const prefix = `${uniqueId('adm')}:`;
  const gw = e2eSuite(() => ({ store: createRedisStore({ client: testRedis(prefix) }) }));

  it('stores a key only as its SHA-256 digest', async () => {
    const id = uniqueId('u');
    const created = await gw.admin('POST', '/admin/users', { id, limits: { tokens_per_day: 10 } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id, limits: { tokens_per_day: 10 } });
    const k = await gw.admin('POST', `/admin/users/${id}/keys`, { name: 'ci' });
    expect(k.status).toBe(201);
    const key = k.json.key as string;
    expect(key).toMatch(/^tg-[A-Za-z0-9_-]{43}$/);
    const redis = testRedis();
    const names = await redis.keys(`${prefix}*`);
    const values = await Promise.all(names.map(async (n) => ((await redis.type(n)) === 'string' ? redis.get(n) : '')));
    expect(names.join(' ') + values.join(' ')).not.toContain(key);
    expect(names).toContain(`${prefix}tg:key:${createHash('sha256').update(key).digest('hex')}`);
    await redis.quit();
  });

  it.each([
    [{ id: 'bad id!' }, 'id'],
    [{ id: 'ok', limits: { tokens_per_fortnight: 3 } }, 'limits.tokens_per_fortnight'],
    [{ id: 'ok', limits: { tokens_per_day: -1 } }, 'limits.tokens_per_day'],
    [{ id: 'ok', limits: { spend_micros_per_month: 1.5 } }, 'limits.spend_micros_per_month'],
    [{ id: 'ok', colour: 'red' }, 'colour'],
  ])('refuses %j with a 400 naming %s, creating nothing', async (body, param) => {
    const r = await gw.admin('POST', '/admin/users', body);
    expect(r.status).toBe(400);
    expect((r.json.error as { param: string }).param).toBe(param);
    expect((await gw.admin('GET', '/admin/users/ok', undefined)).status).toBe(404);
  });

  it('a PATCH changes what it names, null goes back to the default, a bad field changes nothing', async () => {
    const id = uniqueId('p');
    await gw.admin('POST', '/admin/users', { id, limits: { tokens_per_day: 10, messages_per_day: 5 } });
    expect((await gw.admin('PATCH', `/admin/users/${id}`, { limits: { tokens_per_day: 20, requests_per_day: -4 } })).status).toBe(400);
    expect((await gw.admin('GET', `/admin/users/${id}`)).json.limits).toEqual({ tokens_per_day: 10, messages_per_day: 5 });
    const ok = await gw.admin('PATCH', `/admin/users/${id}`, { limits: { tokens_per_day: null, requests_per_day: 7 } });
    expect(ok.json.limits).toEqual({ messages_per_day: 5, requests_per_day: 7 });
    expect((await gw.admin('POST', '/admin/users', { id })).status).toBe(409);
  });

  it('refuses a user key and a missing key on the admin API', async () => {
    const key = await gw.userWithKey(uniqueId('k'));
    const r = await fetch(`${gw.url}/admin/users/x`, { headers: { authorization: `Bearer ${key}` } });
    expect(r.status).toBe(401);
    expect((await fetch(`${gw.url}/admin/users/x`)).status).toBe(401);
  });
});
