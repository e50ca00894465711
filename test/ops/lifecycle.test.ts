// SIGTERM: stop accepting, let the stream in flight finish, settle it, write the keys' last use, exit 0.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisStore } from '../../src/store/redis/store.js';
import { adminCall, startProcess, type GatewayProcess } from '../support/process.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

describe('graceful shutdown', () => {
  let upstream: TestUpstream;
  let gw: GatewayProcess;

  beforeAll(async () => {
    upstream = await createTestUpstream({ chunkDelayMs: 40 });
    gw = await startProcess({ upstreamUrl: upstream.url, redisUrl: inject('redisUrl'), yaml: 'limits: {}\n' });
  }, 30_000);
  afterAll(async () => {
    await gw.stop();
    await upstream.close();
  });

  it('finishes the stream in flight, charges it, refuses new connections, writes when its key was used, and exits 0', async () => {
    const user = uniqueId('drain');
    await adminCall(gw.url, 'POST', '/admin/users', { id: user, limits: { tokens_per_day: 100_000 } });
    const { key, keyId } = (await adminCall(gw.url, 'POST', `/admin/users/${user}/keys`, {})) as { key: string; keyId: string };
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const exit = gw.stop('SIGTERM');
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('[DONE]');
    expect(await fetch(`${gw.url}/healthz`).then(() => 'answered', () => 'refused')).toBe('refused');
    expect(await exit).toBe(0);
    const store = createRedisStore({ client: testRedis() });
    const [record] = await store.ledger(user, 1);
    // Written at shutdown, well before its 10 s interval.
    const used = await store.keyById(keyId);
    await store.close();
    expect(record).toMatchObject({ outcome: 'ok', promptTokens: 78, completionTokens: 9 });
    expect(used?.lastUsedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(gw.output.join('')).toContain('"msg":"stopped"');
  }, 30_000);
});
