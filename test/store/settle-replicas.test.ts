// store.settle_replicas (issue 13): a settle asked to confirm waits (WAIT) for a replica; one the
// replica did not confirm in time is reported so, and the gateway journals it for a replay, which
// applies nothing twice. A real master and replica, the replica paused (SIGSTOP) by PID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CLIENT_OPTIONS, redisOptionsFor } from '../../src/store/create-store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import type { Store } from '../../src/store/types.js';
import { ask, recovered } from '../support/crowd.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startRedisServer } from '../support/global-redis.js';
import { uniqueId } from '../support/redis-client.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';
import { check, plainReservation } from './contract.js';
import { tempDir } from '../support/temp-dir.js';

describe('settles confirmed by a replica (store.settle_replicas)', () => {
  let master: Awaited<ReturnType<typeof startRedisServer>>;
  let replica: Awaited<ReturnType<typeof startRedisServer>>;
  let client: Redis;
  let store: Store;
  let upstream: TestUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    const dir = ['--dir', tempDir('tollgate-replicas')];
    master = await startRedisServer(dir);
    replica = await startRedisServer([...dir, '--replicaof', '127.0.0.1', String(master.port)]);
    const probe = new Redis(replica.url);
    probe.on('error', () => undefined);
    for (let i = 0; i < 100 && !(await probe.info('replication')).includes('master_link_status:up'); i++) await new Promise((r) => setTimeout(r, 100));
    probe.disconnect();
    client = new Redis({ ...redisOptionsFor(master.url), ...CLIENT_OPTIONS });
    client.on('error', () => undefined);
    store = createRedisStore({ client, settleReplicas: { replicas: 1, timeoutMs: 100 } });
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store });
  }, 30_000);
  afterAll(async () => {
    replica?.child.kill('SIGCONT');
    await gw?.close();
    await upstream?.close();
    for (const s of [master, replica]) s?.child.kill('SIGKILL');
  });

  const settleOnce = async (confirm: boolean) => {
    const userId = uniqueId('replicas');
    const checks = [check('requests', 'day', null, 1)];
    await store.reserve(plainReservation({ userId, requestId: 'r1', checks }));
    return store.settle({
      userId, requestId: 'r1', checks, conversationRoot: null, actual: { requests: 1, messages: 0, tokens: 0, credits: 0, spend_micros: 0 },
      record: { requestId: 'r1', time: Date.now(), user: userId, model: 'm', conversation: null, promptTokens: 0, completionTokens: 0,
        cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false },
    }, { confirm });
  };

  it('confirmed while the replica follows; not confirmed while it is paused; not asked, not waited for', async () => {
    expect(await settleOnce(true)).toEqual({ applied: true, replicated: true });
    replica.child.kill('SIGSTOP');
    try {
      expect(await settleOnce(true)).toEqual({ applied: true, replicated: false });
      expect(await settleOnce(false)).toEqual({ applied: true });
    } finally {
      replica.child.kill('SIGCONT');
    }
  });

  it('a request whose settle the replica did not confirm is journaled, replayed, and charged once', async () => {
    const id = uniqueId('replicas-gw');
    const key = await gw.userWithKey(id);
    replica.child.kill('SIGSTOP');
    try {
      expect((await ask(gw, key)).status).toBe(200);
      await expect.poll(() => gw.logLines.some((l) => l.includes('not confirmed by a replica'))).toBe(true);
    } finally {
      replica.child.kill('SIGCONT');
    }
    await recovered(gw);
    const records = await store.ledger(id, 10);
    expect(records.map((r) => r.outcome)).toEqual(['ok']);
  });
});
