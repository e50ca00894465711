// Grants as an operator and a client see them (issue 18): a payment webhook retried three times
// adds one grant; the grant is spent only after the month's credits, shows in /v1/quota as a
// `grant` row and in the ledger; other terms under the same id are refused. Both stores.
import { describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import { createManualClock } from '../../src/core/clock.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

describe.each(STORES)('grants (%s store)', (_name, makeStore) => {
  const clock = createManualClock(Date.parse('2026-11-23T12:00:00Z'));

  const gw = e2eSuite(() => ({ store: makeStore(clock), clock, overrides: { 'auth.cache_ms': 0 } }));

  const chat = async (key: string) => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 }),
    });
    await r.arrayBuffer();
    return r.status;
  };

  it('a retried grant adds once and is spent after the allowance, shown in /v1/quota and the ledger', async () => {
    const id = uniqueId('grant');
    const key = await gw.userWithKey(id, { message_credits_per_month: 1 });
    const body = { id: 'stripe-evt-1', dimension: 'credits', amount: 2, expires_at: '2027-01-01T00:00:00Z' };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await gw.admin('POST', `/admin/users/${id}/grants`, body)).status);
    expect(statuses).toEqual([201, 200, 200]);
    const conflict = await gw.admin('POST', `/admin/users/${id}/grants`, { ...body, amount: 5 });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error).toMatchObject({ code: 'grant_conflict' });

    expect(await chat(key)).toBe(200);
    expect((await gw.admin('GET', `/admin/users/${id}/grants`)).json.grants).toEqual([expect.objectContaining({ id: 'stripe-evt-1', used: 0, remaining: 2 })]);
    expect(await chat(key)).toBe(200);
    expect(await chat(key)).toBe(200);
    expect(await chat(key)).toBe(402);

    const quota = await gw.quota(key);
    expect(quota.limits).toContainEqual(expect.objectContaining({ scope: 'grant', id: 'stripe-evt-1', dimension: 'credits', limit: 2, used: 2,
      remaining: 0, expires_at: '2027-01-01T00:00:00Z' }));
    expect(quota.limits).toContainEqual(expect.objectContaining({ scope: 'user', dimension: 'credits', window: 'month', used: 3 }));
    const ledger = (await gw.admin('GET', `/admin/ledger?user=${id}&limit=10`)).json.records as Array<Record<string, unknown>>;
    expect(ledger.filter((r) => r.outcome === 'grant')).toEqual([expect.objectContaining({ grant: expect.objectContaining({ id: 'stripe-evt-1', amount: 2 }) })]);
    expect(ledger.filter((r) => r.fromGrants)).toHaveLength(2);
  });

  it('refuses a grant without a known dimension or a positive amount, naming the field', async () => {
    const id = uniqueId('grant-bad');
    await gw.userWithKey(id);
    expect((await gw.admin('POST', `/admin/users/${id}/grants`, { id: 'a', dimension: 'requests', amount: 1 })).json.error).toMatchObject({ param: 'dimension' });
    expect((await gw.admin('POST', `/admin/users/${id}/grants`, { id: 'a', dimension: 'tokens', amount: 0 })).json.error).toMatchObject({ param: 'amount' });
    expect((await gw.admin('POST', '/admin/users/nobody-here/grants', { id: 'a', dimension: 'tokens', amount: 1 })).status).toBe(404);
  });
});
