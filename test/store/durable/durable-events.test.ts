// Events on the embedded store on disk: the events contract holds, and events with their webhook
// delivery state survive a reopen (from the log, and from a snapshot after compaction): an event
// whose delivery failed is retried after the restart, a delivered one is not sent again, and a
// webhook keeps its place (events recorded before the restart are still its own).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossingPoint } from '../../../src/limits/thresholds.js';
import { openDurableStore } from '../../../src/store/durable/durable-store.js';
import type { CounterCheck, Store } from '../../../src/store/types.js';
import { createManualClock, type Clock } from '../../../src/core/clock.js';
import { plainReservation } from '../contract.js';
import { eventsContract } from '../events-contract.js';
import { tempDir } from '../../support/temp-dir.js';

const open = (dir: string, clock: Clock, compactBytes?: number): Store =>
  openDurableStore({ dir, fsync: 'everysec', clock, warn: () => undefined, ...(compactBytes ? { compactBytes } : {}) });

eventsContract('durable memory', async (clock) => open(tempDir('tollgate-data'), clock));

const checks: CounterCheck[] = [{ dimension: 'tokens', window: 'day', limit: 100, fixed: 0, perOutput: 0,
  thresholds: [0.5, 0.8, 1].map((f) => ({ label: String(f), point: crossingPoint(100, f) })) }];

async function use(store: Store, requestId: string, tokens: number): Promise<void> {
  await store.reserve(plainReservation({ userId: 'ann', requestId, checks }));
  await store.settle({ userId: 'ann', requestId, checks, conversationRoot: null, actual: { requests: 1, messages: 0, tokens, credits: 0, spend_micros: 0 },
    record: { requestId, time: 1, user: 'ann', model: 'm', conversation: null, promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0,
      costMicros: 0, outcome: 'ok', estimated: false } });
}

describe.each([['the log', undefined], ['a snapshot', 1]] as const)('events and deliveries across a reopen, from %s', (_from, compactBytes) => {
  it('keeps events, what was delivered, what failed, and each webhook’s place', async () => {
    const dir = tempDir('tollgate-data');
    const clock = createManualClock(Date.UTC(2026, 10, 23, 12));
    const now = { retryAfter: () => 0, count: 100 };
    let store = open(dir, clock, compactBytes);
    await store.outbox.subscribe('hook');
    await use(store, 'r1', 60);
    await use(store, 'r2', 25);
    const [half, eighty] = await store.outbox.due('hook', 'c', now);
    await store.outbox.delivered('hook', half!, clock.now());
    await store.outbox.failed('hook', eighty!, 'HTTP 503', clock.now());
    await use(store, 'r3', 15); // 100 %: recorded, not yet handed out
    await store.close();

    store = open(dir, clock, compactBytes);
    expect((await store.outbox.recent('ann', 10)).map((e) => e.threshold)).toEqual(['1', '0.8', '0.5']);
    const states = await store.outbox.states(await store.outbox.recent('ann', 10), ['hook']);
    expect([...states.values()].map((s) => [s[0]?.status, s[0]?.lastError])).toEqual([['pending', null], ['retrying', 'HTTP 503'], ['delivered', null]]);
    expect(await store.outbox.due('hook', 'c2', { retryAfter: () => 3_600_000, count: 100 })).toMatchObject([{ event: { threshold: '1' }, attempt: 1 }]);
    clock.advance(1000);
    expect((await store.outbox.due('hook', 'c2', now)).map((d) => [d.event.threshold, d.attempt])).toEqual([['0.8', 2], ['1', 2]]);
    // Crossed once: using more after the restart records nothing again.
    await use(store, 'r4', 50);
    expect(await store.outbox.recent('ann', 10)).toHaveLength(3);
    await store.close();
  });
});

describe('the log of reserves and settles', () => {
  it('writes a list of thresholds once per log file, and a key\'s own counter replays as its own', async () => {
    const dir = tempDir('tollgate-data');
    const clock = createManualClock(Date.UTC(2026, 10, 23, 12));
    let store = open(dir, clock);
    for (const id of ['r1', 'r2', 'r3']) await use(store, id, 20);
    const keyChecks: CounterCheck[] = [{ dimension: 'requests', window: 'day', limit: 5, fixed: 1, perOutput: 0, keyId: 'k1' }];
    await store.reserve(plainReservation({ userId: 'ann', requestId: 'k-1', checks: keyChecks }));
    await store.settle({ userId: 'ann', requestId: 'k-1', checks: keyChecks, conversationRoot: null, actual: { requests: 1, messages: 0, tokens: 0, credits: 0, spend_micros: 0 },
      record: { requestId: 'k-1', time: 1, user: 'ann', model: 'm', conversation: null, promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0,
        costMicros: 0, outcome: 'ok', estimated: false } });
    await store.close();
    const logs = readdirSync(dir).filter((f) => f.startsWith('log-'));
    const text = logs.map((f) => readFileSync(path.join(dir, f), 'utf8')).join('');
    expect(text.split('"label":"0.8"').length - 1).toBeLessThanOrEqual(1);

    store = open(dir, clock);
    expect((await store.outbox.recent('ann', 10)).map((e) => e.threshold)).toEqual(['0.5']);
    const [day] = await store.peek({ userId: 'ann', checks, parallelLimit: null, conversationId: null });
    expect(day).toMatchObject({ used: 60, reserved: 0 });
    const [key] = await store.peek({ userId: 'ann', checks: keyChecks, parallelLimit: null, conversationId: null });
    expect(key).toMatchObject({ scope: 'key', used: 1, reserved: 0 });
    await store.close();
  });
});
