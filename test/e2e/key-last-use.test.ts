// A key's last use, end to end on both stores: requests only note it (no store call of their
// own), the admin API shows it (name, created, last used, expiry), and a later request moves it.
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import type { Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

const T0 = Date.UTC(2026, 10, 23, 12);

/** The store, with a count of calls to recordKeyUse. */
function counted(store: Store): { store: Store; writes: () => number } {
  let n = 0;
  const recordKeyUse: Store['recordKeyUse'] = (uses) => (n++, store.recordKeyUse(uses));
  return { store: new Proxy(store, { get: (t, p, r) => (p === 'recordKeyUse' ? recordKeyUse : Reflect.get(t, p, r) as unknown) }), writes: () => n };
}

describe.each(STORES)('key last use (%s store)', (_name, makeStore) => {
  const clock = createManualClock(T0);
  let writes: () => number;
  let user: string;
  // An interval longer than the test: only an admin read writes what was noted.
  const gw = e2eSuite(() => {
    const c = counted(makeStore(clock));
    writes = c.writes;
    return { store: c.store, clock, overrides: { 'auth.key_use_flush_ms': 3_600_000 } };
  });

  beforeAll(async () => {
    user = uniqueId('lastuse');
  });

  const keys = async (path: string) => (await gw.admin('GET', path)).json.keys as Array<Record<string, unknown>>;

  it('shows name, created, last used and expiry; requests write nothing themselves; a later request moves the time', async () => {
    await gw.admin('POST', '/admin/users', { id: user });
    const made = (await gw.admin('POST', `/admin/users/${user}/keys`, { name: 'laptop', expires_at: '2027-01-01T00:00:00Z' })).json;
    clock.advance(1000);
    await gw.admin('POST', `/admin/users/${user}/keys`, { name: 'spare' });
    expect(await keys(`/admin/users/${user}/keys`)).toMatchObject([
      { keyId: made.keyId, name: 'laptop', createdAt: new Date(T0).toISOString(), expiresAt: '2027-01-01T00:00:00.000Z', lastUsedAt: null },
      { name: 'spare', createdAt: new Date(T0 + 1000).toISOString(), lastUsedAt: null },
    ]);

    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: made.key as string, maxRetries: 0 });
    clock.advance(60_000);
    const before = writes();
    for (let i = 0; i < 5; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(writes()).toBe(before);
    const listed = await keys(`/admin/users/${user}/keys`);
    expect(writes()).toBe(before + 1);
    expect(listed.map((k) => [k.name, k.lastUsedAt])).toEqual([['laptop', new Date(T0 + 61_000).toISOString()], ['spare', null]]);

    clock.advance(3_600_000);
    const quota = await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${made.key as string}` } });
    expect(quota.status).toBe(200);
    await quota.arrayBuffer();
    expect((await keys(`/admin/users/${user}/keys`))[0]?.lastUsedAt).toBe(new Date(T0 + 3_661_000).toISOString());
  });

  it('a service key\'s use shows in its listing; a refused key is not used', async () => {
    const svc = (await gw.admin('POST', '/admin/service-keys', { name: uniqueId('app') })).json;
    const r = await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${svc.key as string}`, 'x-tollgate-user': uniqueId('end') } });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    const bad = await fetch(`${gw.url}/v1/quota`, { headers: { authorization: 'Bearer tg-not-a-key' } });
    expect(bad.status).toBe(401);
    await bad.arrayBuffer();
    expect((await keys('/admin/service-keys')).find((k) => k.keyId === svc.keyId)?.lastUsedAt).toBe(new Date(clock.now()).toISOString());
  });
});
