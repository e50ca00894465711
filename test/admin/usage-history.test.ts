// History and the usage index through the admin API, on both stores: requests made through the
// gateway show up in a user's, a model's and the deployment's days (JSON and CSV), and the usage
// list sorted by spend pages from the index.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/gateway.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

type Day = Record<string, unknown> & { date: string; models?: Record<string, Record<string, number>> };

describe.each(STORES)('usage history and index (%s store)', (_name, makeStore) => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: makeStore() });
  });
  afterAll(async () => {
    await gw.close();
    await gw.store.close();
    await upstream.close();
  });
  const chat = (key: string, n: number) => Promise.all(Array.from({ length: n }, () => fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] }),
  }).then((r) => r.arrayBuffer())));
  const today = () => new Date().toISOString().slice(0, 10);

  it('shows each day\'s requests, tokens and spend for a user, a model and the deployment, as JSON and CSV', async () => {
    const id = uniqueId('hist');
    await chat(await gw.userWithKey(id), 3);
    await expect.poll(async () => ((await gw.admin('GET', `/admin/usage/history?user=${id}`)).json.days as Day[])[0]?.requests).toBe(3);
    const h = (await gw.admin('GET', `/admin/usage/history?user=${id}`)).json as { days: Day[]; from: string; to: string };
    expect(h.to).toBe(today());
    expect(h.days).toHaveLength(1);
    expect(h.days[0]).toMatchObject({ date: today(), requests: 3, messages: 3, tokens: 3 * 379, tokens_in: 3 * 16, tokens_out: 3 * 363, spend_micros: 3 * 147 });
    expect(h.days[0]?.models?.['gpt-4.1-nano-2025-04-14']).toMatchObject({ requests: 3, spend_micros: 441 });
    const usage = (await gw.admin('GET', '/admin/usage?window=day&limit=1000')).json.users as Array<Record<string, unknown>>;
    expect(usage.find((u) => u.id === id)).toMatchObject({ requests: 3, tokens: 3 * 379, spend_micros: 441 });
    const byModel = (await gw.admin('GET', `/admin/usage/history?user=${id}&model=gpt-4.1-nano-2025-04-14&from=${today()}&to=${today()}`)).json.days as Day[];
    expect(byModel[0]).toMatchObject({ requests: 3, spend_micros: 441 });
    expect(byModel[0]?.models).toBeUndefined();
    const all = (await gw.admin('GET', '/admin/usage/history')).json.days as Day[];
    expect(all.at(-1)?.date).toBe(today());
    expect(all.at(-1)?.spend_micros as number).toBeGreaterThanOrEqual(441);
    const csv = await (await fetch(`${gw.url}/admin/usage/history?user=${id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}`, accept: 'text/csv' } })).text();
    expect(csv).toBe(`date,requests,messages,tokens,tokens_in,tokens_out,tokens_cached,tokens_reasoning,spend_micros\n${today()},3,3,1137,48,1089,0,0,441\n`);
    expect((await gw.admin('GET', '/admin/usage/history?from=2026-01-01&to=2025-01-01')).status).toBe(400);
    expect((await gw.admin('GET', '/admin/usage/history?granularity=hour')).status).toBe(400);
  });

  it('lists usage sorted by spend from the index, largest first, with the total and rows as the counters have them', async () => {
    const ids = [1, 4, 2].map((n) => [uniqueId(`rank${n}`), n] as const);
    for (const [id, n] of ids) await chat(await gw.userWithKey(id), n);
    const list = async () => (await gw.admin('GET', '/admin/usage?window=day&sort=spend_micros&limit=1000')).json as { total: number; users: Array<Record<string, unknown>> };
    const mine = async () => (await list()).users.filter((u) => ids.some(([id]) => id === u.id)).map((u) => u.requests);
    // Settles finish just after the responses do: wait for the last of them.
    await expect.poll(mine).toEqual([4, 2, 1]);
    const r = await list();
    expect(r.total).toBe(r.users.length);
    expect(r.users.map((u) => u.spend_micros as number)).toEqual([...r.users.map((u) => u.spend_micros as number)].sort((a, b) => b - a));
    const asc = (await gw.admin('GET', '/admin/usage?window=month&sort=requests&order=asc&limit=1')).json as { users: Array<Record<string, unknown>> };
    expect(asc.users).toHaveLength(1);
    // Page by page with the `next` cursor: the same users in the same order, each once, then null.
    const paged: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page = (await gw.admin('GET', `/admin/usage?window=day&sort=spend_micros&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`)).json as { users: Array<{ id: string }>; next: string | null };
      paged.push(...page.users.map((u) => u.id));
      cursor = page.next;
    } while (cursor !== null);
    expect(paged).toEqual(r.users.map((u) => u.id));
    expect((await gw.admin('GET', '/admin/usage?window=day&sort=spend_micros&cursor=x')).status).toBe(400);
  });
});
