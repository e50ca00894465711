// A gateway killed mid-stream (SIGKILL) holds nothing for long: its reservation and slot expire
// and the next request on any live replica reclaims them. Reclaimed reservations are released,
// not charged: the dead gateway never saw the provider's usage, and billing the worst case
// would charge a user for our crash (see README, "Crashed gateways").
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisStore } from '../../src/store/redis/store.js';
import { check } from '../store/contract.js';
import { adminCall, startProcess, type GatewayProcess } from '../support/process.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

describe('a replica killed mid-stream', () => {
  let upstream: TestUpstream;
  let doomed: GatewayProcess;
  let survivor: GatewayProcess;

  beforeAll(async () => {
    upstream = await createTestUpstream({ chunkDelayMs: 30 });
    const options = { upstreamUrl: upstream.url, redisUrl: inject('redisUrl'), yaml: 'limits: {}\n', metering: { reservation_ttl_ms: 1500 } };
    [doomed, survivor] = await Promise.all([startProcess(options), startProcess(options)]);
  }, 60_000);
  afterAll(async () => {
    await doomed.stop();
    await survivor.stop();
    await upstream.close();
  });

  it('frees the slot and the reservation for the live replica once they expire', async () => {
    const user = uniqueId('crash');
    await adminCall(survivor.url, 'POST', '/admin/users', { id: user, limits: { max_parallel_requests: 1, tokens_per_day: 100_000 } });
    const { key } = (await adminCall(survivor.url, 'POST', `/admin/users/${user}/keys`, {})) as { key: string };
    const ask = (gw: GatewayProcess, stream: boolean) => fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
    });

    const r = await ask(doomed, true);
    await (r.body as ReadableStream<Uint8Array>).getReader().read();
    await doomed.stop('SIGKILL');
    const blocked = await ask(survivor, false);
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { error: { dimension: string } }).error.dimension).toBe('parallel');

    await new Promise((resolve) => setTimeout(resolve, 1700));
    const after = await ask(survivor, false);
    expect(after.status).toBe(200);
    await after.arrayBuffer();

    const store = createRedisStore({ client: testRedis() });
    await expect.poll(() => store.peek({ userId: user, checks: [check('tokens', 'day', 100_000, 0)], parallelLimit: 1, conversationId: null }))
      .toEqual([
        expect.objectContaining({ dimension: 'parallel', used: 0 }),
        expect.objectContaining({ dimension: 'tokens', used: 379, reserved: 0 }),
      ]);
    const ledger = await store.ledger(user, 10);
    expect(ledger.map((l) => l.outcome)).toEqual(['ok']);
    await store.close();
  }, 30_000);
});
