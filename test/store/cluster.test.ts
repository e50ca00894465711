// The Redis store on a real three-node Redis Cluster (OS-chosen ports): the same contract suites,
// calendars and grants included, since every script touches one user's slot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { slotOf } from '../../src/store/redis/outbox-keys.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { uniqueId } from '../support/redis-client.js';
import { startCluster, type TestCluster } from '../support/redis-cluster.js';
import { check, plainReservation, storeContract } from './contract.js';
import { accountsContract } from './contract-accounts.js';
import { calendarContract } from './contract-calendar.js';
import { grantsContract } from './contract-grants.js';
import { eventsContract } from './events-contract.js';
import { keyUseContract } from './contract-keys.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);
afterAll(() => cluster?.stop());

storeContract('redis cluster', async (clock, onReclaim) => createRedisStore({ client: new Cluster(cluster.nodes), clock, ...(onReclaim ? { onReclaim } : {}) }));
accountsContract('redis cluster', async (clock) => createRedisStore({ client: new Cluster(cluster.nodes), clock }));
calendarContract('redis cluster', async (clock) => createRedisStore({ client: new Cluster(cluster.nodes), clock }));
grantsContract('redis cluster', async (clock) => createRedisStore({ client: new Cluster(cluster.nodes), clock }));
keyUseContract('redis cluster', async (clock) => createRedisStore({ client: new Cluster(cluster.nodes), clock }));
eventsContract('redis cluster', async (clock) => createRedisStore({ client: new Cluster(cluster.nodes, { keyPrefix: `${uniqueId('ev')}:` }), clock }));

describe('Redis store group commit on a cluster', () => {
  it("sends a turn's requests as one script call per slot: users of many slots, reserved and settled in one turn, each answered", async () => {
    const store = createRedisStore({ client: new Cluster(cluster.nodes) });
    try {
      const users = Array.from({ length: 12 }, (_, i) => uniqueId(`slots-${i}`));
      expect(new Set(users.map((u) => slotOf(`u:${u}`))).size).toBeGreaterThan(6);
      const checks = [check('requests', 'day', 10, 1)];
      const reserved = await Promise.all(users.map((userId) => store.reserve(plainReservation({ userId, requestId: 'r1', checks }))));
      expect(reserved.map((r) => r.ok)).toEqual(users.map(() => true));
      const settled = await Promise.all(users.map((userId) => store.settle({ userId, requestId: 'r1', checks, actual: { requests: 1, messages: 0, tokens: 0, credits: 0, spend_micros: 0 }, conversationRoot: null,
        record: { requestId: 'r1', time: 0, user: userId, model: 'm', conversation: null, promptTokens: 0, completionTokens: 0,
          cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false, anomaly: null } })));
      expect(settled.map((r) => r.applied)).toEqual(users.map(() => true));
      const states = await Promise.all(users.map((userId) => store.peek({ userId, checks, parallelLimit: null, conversationId: null })));
      expect(states.map((s) => [s[0]?.used, s[0]?.reserved])).toEqual(users.map(() => [1, 0]));
    } finally {
      await store.close();
    }
  });

  it('loads the batch script as a Function on every master, and again on a master that lost it', async () => {
    const store = createRedisStore({ client: new Cluster(cluster.nodes) });
    const masters = cluster.nodes.map((n) => new Redis(n.port, n.host));
    const libraries = () => Promise.all(masters.map(async (m) => ((await m.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'tollgate_*')) as unknown[]).length));
    try {
      const checks = [check('requests', 'day', 10, 1)];
      // (Forty users: the chance that none has a slot on the second master is (2/3)^40, about 1e-7.)
      const users = Array.from({ length: 40 }, (_, i) => uniqueId(`fn-${i}`));
      const reserveAll = (id: string) => Promise.all(users.map((userId) => store.reserve(plainReservation({ userId, requestId: id, checks }))));
      expect((await reserveAll('a')).every((r) => r.ok)).toBe(true);
      expect(await libraries()).toEqual([1, 1, 1]);
      // A master restarted without persistence (or a new one) has none: the first call there loads it again.
      await masters[1]?.call('FUNCTION', 'FLUSH');
      expect(await libraries()).toEqual([1, 0, 1]);
      expect((await reserveAll('b')).map((r) => r.states[0]?.reserved)).toEqual(users.map(() => 2));
      expect(await libraries()).toEqual([1, 1, 1]);
    } finally {
      await store.close();
      for (const m of masters) m.disconnect();
    }
  });
});
