// Redis specifics of history and the usage index: rollups expire history_days after their day,
// index keys a few days (or, for months, 40 days) after their period, and a user's many settles
// reach the index as one increment per flush.
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/store/redis/store.js';
import type { Amounts } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { testRedis, uniqueId } from '../support/redis-client.js';

const T = Date.UTC(2026, 10, 23, 18); // six hours before the day ends
const ZERO: Amounts = { requests: 0, messages: 0, tokens: 0, credits: 0, spend_micros: 0 };
const DAY = 86_400_000;

describe('RedisStore history and usage index', () => {
  it('keeps rollups history_days past their day, and the index past its period', async () => {
    const prefix = `${uniqueId('hx')}:`;
    const client = testRedis(prefix);
    const store = createRedisStore({ client: testRedis(prefix), clock: createManualClock(T), historyDays: 7 });
    const user = uniqueId('ret');
    const monitor = testRedis();
    let calls = 0;
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.settle({ userId: user, requestId: `r${i}`, checks: [], actual: { ...ZERO, requests: 1, spend_micros: 10 },
      conversationRoot: null, record: { requestId: `r${i}`, time: T, user, model: 'm', conversation: null, promptTokens: 1, completionTokens: 1,
        cachedTokens: 0, reasoningTokens: 0, costMicros: 10, outcome: 'ok', estimated: false } })));
    const before = Number((await monitor.info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0);
    const ranking = await store.usageRanking({ window: 'day', dimension: 'spend_micros', at: T, offset: 0, limit: 5, order: 'desc' });
    calls = Number((await monitor.info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0) - before;
    expect(ranking.entries).toEqual([{ userId: user, value: 500 }]);
    expect(calls).toBeLessThanOrEqual(2); // 50 settles, one index write (the count is server-wide: another suite may add one)

    const day = Date.UTC(2026, 10, 23) / 1000;
    const near = (ms: number, want: number) => expect(Math.abs(ms - want)).toBeLessThan(5_000);
    near(await client.pttl(`tg:{u:${user}}:w:day:${day}`), 6 * 3_600_000 + 7 * DAY); // the day hash holding its rollup
    near(await client.pttl(`tg:{ix}:hist:${day}`), 6 * 3_600_000 + 7 * DAY);
    near(await client.pttl(`tg:{ix}:usage:day:${day}:spend_micros`), 6 * 3_600_000 + 3 * DAY);
    near(await client.pttl(`tg:{ix}:usage:month:${Date.UTC(2026, 10, 1) / 1000}:spend_micros`), 6 * 3_600_000 + 7 * DAY + 40 * DAY);
    expect((await store.history({ userId: user, from: T, to: T }))[0]?.totals).toMatchObject({ requests: 50, spend_micros: 500 });
    await store.close();
    await client.quit();
    await monitor.quit();
  });

  it('reads a day kept by an earlier build (hist:<day>) together with what settles added since', async () => {
    const client = testRedis();
    const store = createRedisStore({ client: testRedis(), clock: createManualClock(T) });
    const user = uniqueId('hup');
    const day = Date.UTC(2026, 10, 23) / 1000;
    await client.hset(`tg:{u:${user}}:hist:${day}`, 'm', '2,2,30,20,10,0,0,40', 'old-model', '1,1,5,3,2,0,0,7');
    await store.settle({ userId: user, requestId: 'r1', checks: [], actual: { ...ZERO, requests: 1, messages: 1, tokens: 9, spend_micros: 10 },
      conversationRoot: null, record: { requestId: 'r1', time: T, user, model: 'm', conversation: null, promptTokens: 6, completionTokens: 3,
        cachedTokens: 0, reasoningTokens: 0, costMicros: 10, outcome: 'ok', estimated: false } });
    const [got] = await store.history({ userId: user, from: T, to: T });
    expect(got?.models.m).toMatchObject({ requests: 3, messages: 3, tokens: 39, tokens_in: 26, tokens_out: 13, spend_micros: 50 });
    expect(got?.totals).toMatchObject({ requests: 4, tokens: 44, spend_micros: 57 });
    await store.close();
    await client.quit();
  });
});
