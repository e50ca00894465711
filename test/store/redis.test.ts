import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/store/redis/store.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { check, storeContract } from './contract.js';

storeContract('redis', async (clock) => createRedisStore({ client: testRedis(), clock }));

describe('RedisStore specifics', () => {
  it('reads Redis TIME when no clock is injected, and keys carry the user hash tag', async () => {
    const client = testRedis();
    const store = createRedisStore({ client: testRedis() });
    const user = uniqueId('time');
    const r = await store.reserve({ userId: user, requestId: 'r1', checks: [check('requests', 'day', 5, 1)], maxOutput: 0, minOutput: 0,
      mode: 'hard', parallelLimit: null, ttlMs: 1000, conversation: null, spend: { fixed: 0, perOutput: 0, priced: true } });
    const [sec] = await client.time();
    const dayStart = Math.floor(Number(sec) / 86400) * 86400;
    expect(r.states[0]?.resetsAt).toBe((dayStart + 86400) * 1000);
    const keys = await client.keys(`tg:{u:${user}}:*`);
    expect(keys).toContain(`tg:{u:${user}}:requests:day:${dayStart}`);
    expect(await client.pttl(`tg:{u:${user}}:requests:day:${dayStart}`)).toBeGreaterThan(86_400_000);
    await store.close();
    await client.quit();
  });
});
