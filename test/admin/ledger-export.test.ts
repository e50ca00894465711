// The whole ledger, paged: a user with 100,000 ledger records exports them all, in order, none
// twice, through GET /admin/ledger (JSON and CSV) and the CLI's `ledger --all`, on both stores;
// and every user's records page by the `<user>/<id>` cursor.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Amounts, Store } from '../../src/store/types.js';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/gateway.js';
import { STORES } from '../support/stores.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const ZERO: Amounts = { requests: 0, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };
const HEAVY = 100_000;
const cli = path.resolve('dist/cli/main.js');

async function seed(store: Store, user: string, count: number): Promise<void> {
  await store.putUser({ id: user, limits: {}, allowedModels: null, disabled: false, createdAt: 0 });
  for (let i = 0; i < count; i += 2000) {
    await Promise.all(Array.from({ length: Math.min(2000, count - i) }, (_, j) => {
      const requestId = `${user}-${String(i + j).padStart(6, '0')}`;
      return store.settle({ userId: user, requestId, checks: [], actual: { ...ZERO, tokens: 3 }, conversationRoot: null,
        record: { requestId, time: i + j, user, model: 'm', conversation: null, promptTokens: 1, completionTokens: 2, cachedTokens: 0,
          reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false } });
    }));
  }
}

const idKey = (id: string) => id.split('-').map(Number) as [number, number];
const increasing = (ids: string[]) => ids.every((id, i) => i === 0 || (([a, b], [c, d]) => a > c || (a === c && b > d))(idKey(id), idKey(ids[i - 1] as string)));

describe.each(STORES)('ledger export (%s store)', (_name, makeStore) => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const get = async (p: string) => {
    const r = await fetch(gw.url + p, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(r.status).toBe(200);
    return r;
  };

  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: makeStore() });
    await seed(gw.store, 'heavy', HEAVY);
    for (const u of ['a-light', 'b-empty', 'c-light']) await seed(gw.store, u, u === 'b-empty' ? 0 : 3);
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await gw?.store.close();
  });

  it('exports all 100,000 records of one user, oldest first from a time, each page the same size, none twice', async () => {
    const seen: string[] = [];
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = (await (await get(`/admin/ledger?user=heavy&from=0&limit=10000${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { records: Array<{ id: string; requestId: string }>; next: string | null };
      expect(r.records.length).toBe(10_000);
      for (const rec of r.records) {
        seen.push(rec.requestId);
        ids.push(rec.id);
      }
      cursor = r.next;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(10);
    expect(seen).toHaveLength(HEAVY);
    expect(seen).toEqual(Array.from({ length: HEAVY }, (_, i) => `heavy-${String(i).padStart(6, '0')}`));
    expect(new Set(ids).size).toBe(HEAVY);
    expect(increasing(ids)).toBe(true);
  }, 120_000);

  it('exports them as CSV newest first, the next cursor in a header, and through `tollgate ledger --all`', async () => {
    let cursor: string | null = null;
    const rows: string[] = [];
    do {
      const r = await get(`/admin/ledger.csv?user=heavy&limit=10000${cursor ? `&cursor=${cursor}` : ''}`);
      const lines = (await r.text()).trim().split('\n');
      expect(lines[0]?.split(',').at(-1)).toBe('id');
      rows.push(...lines.slice(1));
      cursor = r.headers.get('x-next-cursor');
    } while (cursor !== null);
    expect(rows).toHaveLength(HEAVY);
    expect(rows[0]?.split(',')[0]).toBe(`heavy-0${HEAVY - 1}`);
    expect(new Set(rows.map((l) => l.split(',')[0])).size).toBe(HEAVY);
    expect(increasing(rows.map((l) => l.split(',').at(-1) as string).reverse())).toBe(true);

    const { stdout } = await promisify(execFile)(cli, ['ledger', '--all', '--json', '--user', 'heavy', '--limit', '5000'],
      { env: { PATH: process.env.PATH ?? '', TOLLGATE_URL: gw.url, TOLLGATE_ADMIN_KEY: ADMIN_KEY }, maxBuffer: 256 * 1024 * 1024 });
    const lines = stdout.trim().split('\n').map((l) => (JSON.parse(l) as { requestId: string }).requestId);
    expect(lines).toHaveLength(HEAVY);
    expect(new Set(lines).size).toBe(HEAVY);
    expect(lines[0]).toBe(`heavy-0${HEAVY - 1}`);
  }, 120_000);

  it('pages every user\'s records by a <user>/<id> cursor, user after user', async () => {
    const got: string[] = [];
    let cursor: string | null = null;
    do {
      const r = (await (await get(`/admin/ledger?from=0&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()) as { records: Array<{ requestId: string }>; next: string | null };
      got.push(...r.records.map((x) => x.requestId));
      cursor = r.next;
      if (got.length >= 8) break; // into the heavy user: enough to see the order
    } while (cursor !== null);
    expect(got.slice(0, 8)).toEqual(['a-light-000000', 'a-light-000001', 'a-light-000002', 'c-light-000000', 'c-light-000001', 'c-light-000002', 'heavy-000000', 'heavy-000001']);
    expect(cursor).toMatch(/^heavy\/\d+-\d+$/);
    const bad = await fetch(`${gw.url}/admin/ledger?cursor=nope`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(bad.status).toBe(400);
  });
});
