// The admin plane as an operator uses it, on both stores: paged users, keys listed without the
// key, revocation, usage per user with limits, the ledger as JSON and CSV, resets, deletion.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, ADMIN_KEY, type TestGateway } from '../support/gateway.js';
import { adminCall, startProcess, type GatewayProcess } from '../support/process.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

describe.each(STORES)('admin plane (%s store)', (_name, makeStore) => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: makeStore(), overrides: { 'auth.cache_ms': 0 } });
  });
  afterAll(async () => {
    await gw.close();
    await gw.store.close();
    await upstream.close();
  });

  const chat = (key: string) => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] }) }).then(async (r) => (await r.arrayBuffer(), r.status));

  it('pages users, lists keys without the key, revokes one', async () => {
    const id = uniqueId('pg');
    const key = await gw.userWithKey(id, { messages_per_day: 3 });
    await gw.admin('POST', `/admin/users/${id}/keys`, { name: 'laptop', expires_at: '2099-01-01T00:00:00Z' });
    const keys = (await gw.admin('GET', `/admin/users/${id}/keys`)).json.keys as Array<Record<string, unknown>>;
    expect(keys).toHaveLength(2);
    expect(keys[1]).toMatchObject({ name: 'laptop', expiresAt: '2099-01-01T00:00:00.000Z' });
    expect(JSON.stringify(keys)).not.toContain(key);
    expect(await chat(key)).toBe(200);
    const r = await fetch(`${gw.url}/admin/keys/${keys[0]?.keyId as string}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(r.status).toBe(204);
    expect(await chat(key)).toBe(401);
    await gw.admin('POST', '/admin/users', { id: `${id}-2` });
    const page = await gw.admin('GET', '/admin/users?limit=1');
    expect((page.json.users as unknown[]).length).toBe(1);
    expect(page.json.next).toBeTruthy();
  });

  it('shows usage per user with its limits, sorted, and the ledger as JSON and CSV; resets and deletes', async () => {
    const id = uniqueId('use');
    const key = await gw.userWithKey(id, { messages_per_day: 5, tokens_per_day: 10_000 });
    for (let i = 0; i < 2; i++) expect(await chat(key)).toBe(200);
    await new Promise((res) => setTimeout(res, 100));
    const usage = await gw.admin('GET', '/admin/usage?window=day&sort=tokens&order=desc&limit=1000');
    const row = (usage.json.users as Array<Record<string, unknown>>).find((u) => u.id === id);
    expect(row).toMatchObject({ requests: 2, messages: 2, tokens: 758, credits: 2, spend_micros: 294, limits: { messages: 5, tokens: 10_000, requests: null } });
    const ledger = await gw.admin('GET', `/admin/ledger?user=${id}&limit=10`);
    expect(ledger.json.records).toHaveLength(2);
    expect((ledger.json.records as Array<Record<string, unknown>>)[0]).toMatchObject({ user: id, model: 'gpt-4.1-nano-2025-04-14', promptTokens: 16, completionTokens: 363, costMicros: 147, outcome: 'ok', estimated: false });
    const csv = await (await fetch(`${gw.url}/admin/ledger.csv?user=${id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text();
    expect(csv.split('\n')[0]).toBe('requestId,time,user,model,conversation,promptTokens,completionTokens,cachedTokens,reasoningTokens,costMicros,outcome,estimated,anomaly,reservationId,upstream,cacheWriteTokens,id');
    expect(csv.trim().split('\n')).toHaveLength(3);
    expect((await gw.admin('POST', `/admin/users/${id}/reset`, { window: 'day' })).status).toBe(200);
    const after = (await gw.admin('GET', '/admin/usage?window=day&limit=1000')).json.users as Array<Record<string, unknown>>;
    expect(after.find((u) => u.id === id)).toMatchObject({ tokens: 0, messages: 0 });
    expect(((await gw.admin('GET', `/admin/ledger?user=${id}`)).json.records as Array<{ outcome: string }>)[0]?.outcome).toBe('reset');
    expect((await fetch(`${gw.url}/admin/users/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(204);
    expect(await chat(key)).toBe(401);
  });

  it.each([
    ['/admin/usage?window=week', 'window'],
    ['/admin/usage?window=day&sort=colour', 'sort'],
    ['/admin/users?limit=0', 'limit'],
    ['/admin/ledger?since=yesterday', 'since'],
    ['/admin/ledger?user=a&from=yesterday', 'from'],
    ['/admin/ledger?user=a&cursor=x', 'cursor'],
  ])('refuses %s naming %s', async (path, param) => {
    const r = await gw.admin('GET', path);
    expect(r.status).toBe(400);
    expect((r.json.error as { param: string }).param).toBe(param);
  });
});

describe('revocation across replicas', () => {
  let upstream: TestUpstream;
  let a: GatewayProcess;
  let b: GatewayProcess;
  beforeAll(async () => {
    upstream = await createTestUpstream();
    const o = { upstreamUrl: upstream.url, redisUrl: inject('redisUrl'), yaml: 'limits: {}\n' };
    [a, b] = await Promise.all([startProcess(o), startProcess(o)]);
  }, 60_000);
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await upstream.close();
  });

  it('a key revoked on one replica stops working on the other within a second', async () => {
    const id = uniqueId('rev');
    await adminCall(a.url, 'POST', '/admin/users', { id });
    const { key, keyId } = (await adminCall(a.url, 'POST', `/admin/users/${id}/keys`, {})) as { key: string; keyId: string };
    const ask = () => fetch(`${b.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) }).then(async (r) => (await r.arrayBuffer(), r.status));
    expect(await ask()).toBe(200);
    expect((await fetch(`${a.url}/admin/keys/${keyId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(204);
    const revokedAt = Date.now();
    await expect.poll(ask, { timeout: 1000, interval: 50 }).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(1100);
  }, 30_000);
});
