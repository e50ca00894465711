// The stores every end-to-end suite runs against: the embedded memory store and a real Redis.
import { createMemoryStore } from '../../src/store/memory.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import type { Store } from '../../src/store/types.js';
import type { Clock } from '../../src/core/clock.js';
import { testRedis, uniqueId } from './redis-client.js';

export const STORES: ReadonlyArray<readonly [string, (clock?: Clock) => Store]> = [
  ['memory', (clock) => createMemoryStore(clock ? { clock } : {})],
  ['redis', (clock) => createRedisStore({ client: testRedis(`${uniqueId('t')}:`), ...(clock ? { clock } : {}) })],
];
