// What an operator sees: Prometheus metrics with bounded labels, one JSON log line per request
// with nothing secret in it, and a request id that follows the request everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { startGateway, UPSTREAM_KEY, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const PROMPT = 'the secret plan is under the floorboards';

describe('metrics, logs and request ids', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  let key: string;

  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: createMemoryStore() });
    key = await gw.userWithKey('olga', { requests_per_day: 2 });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  const chat = (headers: Record<string, string> = {}, stream = false) => fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4.1-nano', stream, messages: [{ role: 'user', content: PROMPT }] }),
  });

  it('follows a valid client request id upstream, back, into the log and the ledger; replaces a bad one', async () => {
    const id = 'client-req-12345678';
    const r = await chat({ 'x-request-id': id });
    await r.arrayBuffer();
    expect(r.headers.get('x-request-id')).toBe(id);
    expect(upstream.state.requests.at(-1)?.headers['x-request-id']).toBe(id);
    await expect.poll(async () => (await gw.store.ledger('olga', 1))[0]?.requestId).toBe(id);
    // A client's id may repeat, so the reservation is kept under an id of the gateway's own: both
    // are in the ledger record and the log line (issue 13).
    const reservationId = (await gw.store.ledger('olga', 1))[0]?.reservationId;
    expect(reservationId).toMatch(/^tg_[0-9a-f]{32}$/);
    expect(gw.logLines.some((l) => l.includes(`"requestId":"${id}","reservationId":"${reservationId}"`) && l.includes('request settled'))).toBe(true);
    const view = await gw.admin('GET', '/admin/ledger?user=olga&limit=1');
    expect((view.json.records as Array<Record<string, unknown>>)[0]).toMatchObject({ requestId: id, reservationId });
    const bad = await chat({ 'x-request-id': 'bad id\twith tabs' });
    await bad.arrayBuffer();
    expect(bad.headers.get('x-request-id')).toMatch(/^tg_[0-9a-f]{32}$/);
  });

  it('counts requests by route, status and outcome, tokens by model, with histograms and no secrets', async () => {
    const refused = await chat();
    expect(refused.status).toBe(429);
    await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer tg-wrong' }, body: '{}' });
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/tollgate_requests_total\{route="chat\/completions",status="200",outcome="served"\} 2/);
    expect(text).toMatch(/tollgate_requests_total\{route="chat\/completions",status="429",outcome="rejected_requests"\} 1/);
    expect(text).toMatch(/tollgate_requests_total\{route="chat\/completions",status="401",outcome="invalid_api_key"\} 1/);
    expect(text).toMatch(/tollgate_tokens_total\{model="gpt-4.1-nano-2025-04-14"\} 758/);
    expect(text).toMatch(/# TYPE tollgate_store_reserve_seconds histogram/);
    expect(text).toMatch(/# TYPE tollgate_upstream_first_byte_seconds histogram/);
    expect(text).toMatch(/tollgate_in_flight_requests 0/);
    expect(text).toMatch(/tollgate_journal_backlog 0/);
    expect(text).not.toContain(key);
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toContain('olga');
  });

  it('writes one settled line per metered request, and never a key or a prompt', () => {
    const settled = gw.logLines.filter((l) => l.includes('"msg":"request settled"'));
    expect(settled).toHaveLength(2);
    const line = JSON.parse(settled[0] as string) as Record<string, unknown>;
    expect(line).toMatchObject({ userId: 'olga', outcome: 'ok', model: 'gpt-4.1-nano-2025-04-14', estimated: false,
      actual: { tokens: 379, spendMicros: 147, credits: 1 } });
    expect(line.reserved).toMatchObject({ maxOutput: 16_384 });
    expect((line.upstream as { firstByteMs: number }).firstByteMs).toBeGreaterThanOrEqual(0);
    const all = gw.logLines.join('\n');
    expect(all).not.toContain(key);
    expect(all).not.toContain(UPSTREAM_KEY);
    expect(all).not.toContain(PROMPT);
  });
});
