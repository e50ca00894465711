// The Redis store on a real three-node Redis Cluster (OS-chosen ports): the same contract suites,
// calendars and grants included, since every script touches one user's slot.
import { afterAll, beforeAll } from 'vitest';
import { Cluster } from 'ioredis';
import { createRedisStore } from '../../src/store/redis/store.js';
import { uniqueId } from '../support/redis-client.js';
import { startCluster, type TestCluster } from '../support/redis-cluster.js';
import { storeContract } from './contract.js';
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
