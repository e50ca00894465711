// GET /admin/events on both stores: the events real requests record (thresholds crossed, the first
// refusal of the period), newest first, filtered by user, in the shape webhooks receive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

describe.each(STORES)('GET /admin/events (%s store)', (_name, makeStore) => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: makeStore(), overrides: { thresholds: { default: [0.5, 0.8, 1], tokens_per_day: [] } } });
  });
  afterAll(async () => {
    await gw.close();
    await gw.store.close();
    await upstream.close();
  });

  const chat = (key: string) => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] }) }).then(async (r) => (await r.arrayBuffer(), r.status));

  it('lists the thresholds a user crossed and their first refusal, newest first', async () => {
    const id = uniqueId('ev');
    const other = uniqueId('ev-other');
    const key = await gw.userWithKey(id, { messages_per_day: 4, tokens_per_day: 1_000_000 });
    await chat(await gw.userWithKey(other, { messages_per_day: 1 }));
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await chat(key));
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);

    const { status, json } = await gw.admin('GET', `/admin/events?user=${id}`);
    expect(status).toBe(200);
    const events = json.events as Array<Record<string, unknown>>;
    expect(events.map((e) => [e.type, e.threshold])).toEqual([['refused', null], ['threshold', 1], ['threshold', 0.8], ['threshold', 0.5]]);
    const day = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000).toISOString();
    expect(events[2]).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-f]{24}$/), type: 'threshold', time: expect.any(String), user: id,
      limit: { dimension: 'messages', window: 'day', scope: 'user', limit: 4, used: 4 }, threshold: 0.8, period_start: day, deliveries: [],
    });
    expect(events[3]).toMatchObject({ limit: { used: 2 } });

    const all = (await gw.admin('GET', '/admin/events?limit=1000')).json.events as Array<{ user: string }>;
    expect(all.filter((e) => e.user === other)).toHaveLength(3); // 50, 80 and 100 % of 1 message at once
    expect((await gw.admin('GET', `/admin/events?user=${id}&limit=2`)).json.events).toHaveLength(2);
    expect((await gw.admin('GET', '/admin/events?limit=0')).status).toBe(400);
  });
});
