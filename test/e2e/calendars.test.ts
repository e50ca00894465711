// Windows that follow the user, as a client and an operator see them (issue 18): a user in
// Moscow whose day resets at 21:00 UTC, a plan that renews on the 31st, a weekly limit; in the
// refusal, the limit headers, /v1/quota and the admin API, on both stores.
import { describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import { createManualClock } from '../../src/core/clock.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

describe.each(STORES)('calendars (%s store)', (_name, makeStore) => {
  const clock = createManualClock(Date.parse('2026-04-30T20:00:00Z'));

  const gw = e2eSuite(() => ({ store: makeStore(clock), clock, overrides: {
    'auth.cache_ms': 0, time_zone: 'Europe/Moscow', plans: { annual: { limits: { message_credits_per_month: 5 }, month_anchor_day: 31 } },
  } }));

  const chat = (key: string) => fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 }),
  });
  const quota = (key: string) => gw.quota(key);

  it('a Moscow day resets at 21:00 UTC: refusal, headers and quota say so; the next day admits', async () => {
    clock.set(Date.parse('2026-04-30T20:00:00Z'));
    const id = uniqueId('msk');
    const key = await gw.userWithKey(id, { messages_per_day: 1, tokens_per_week: 100_000 });
    const ok = await chat(key);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    expect(ok.headers.get('x-ratelimit-reset-messages')).toBe('1h0m0s');
    const refused = await chat(key);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ dimension: 'messages', window: 'day', resets_at: '2026-04-30T21:00:00Z' });
    expect(refused.headers.get('retry-after')).toBe('3600');
    const q = await quota(key);
    expect(q.limits.find((l) => l.window === 'day')?.resets_at).toBe('2026-04-30T21:00:00Z');
    // Thursday 30 April: the ISO week ends at Monday 4 May 00:00 Moscow time.
    expect(q.limits.find((l) => l.window === 'week')).toMatchObject({ dimension: 'tokens', resets_at: '2026-05-03T21:00:00Z' });
    clock.set(Date.parse('2026-04-30T21:00:00Z'));
    const next = await chat(key);
    expect(next.status).toBe(200);
    await next.arrayBuffer();
  });

  it('a plan renewing on the 31st renews on 30 April, a user zone overrides the default, and the admin API shows both', async () => {
    clock.set(Date.parse('2026-04-29T12:00:00Z'));
    const id = uniqueId('anchor');
    expect((await gw.admin('POST', '/admin/users', { id, plan: 'annual', time_zone: 'UTC' })).status).toBe(201);
    const key = (await gw.admin('POST', `/admin/users/${id}/keys`, {})).json.key as string;
    const credits = async () => (await quota(key)).limits.find((l) => l.dimension === 'credits');
    expect(await credits()).toMatchObject({ window: 'month', resets_at: '2026-04-30T00:00:00Z' });
    const user = await gw.admin('GET', `/admin/users/${id}`);
    expect(user.json).toMatchObject({ time_zone: 'UTC', month_anchor_day: null, effective_calendar: { time_zone: 'UTC', month_anchor_day: 31 } });
    expect((await gw.admin('PATCH', `/admin/users/${id}`, { time_zone: null, month_anchor_day: 17 })).status).toBe(200);
    // Now Moscow (the default) and the 17th: 17 May 00:00 Moscow = 16 May 21:00 UTC.
    expect(await credits()).toMatchObject({ resets_at: '2026-05-16T21:00:00Z' });
  });

  it('refuses a zone that is not one and an anchor past 31, naming the field', async () => {
    const bad1 = await gw.admin('POST', '/admin/users', { id: uniqueId('bad'), time_zone: 'Mars/Olympus' });
    expect(bad1.status).toBe(400);
    expect(bad1.json.error).toMatchObject({ param: 'time_zone' });
    const bad2 = await gw.admin('POST', '/admin/users', { id: uniqueId('bad'), month_anchor_day: 32 });
    expect(bad2.json.error).toMatchObject({ param: 'month_anchor_day' });
  });
});
