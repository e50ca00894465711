// However many limits apply, a request costs the store exactly one call before the upstream
// (reserve) and one after (settle) — counted at the Store interface, and for Redis on the wire
// (where group commit may carry one request's settle and the next one's reserve in one script call).
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSuite } from '../support/e2e.js';
import type { Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';
import { SCRIPT_CALLS } from '../../src/store/redis/scripts.js';

const EVERY_LIMIT = {
  requests_per_minute: 100, requests_per_day: 1000, messages_per_day: 100, tokens_per_minute: 1e6, tokens_per_day: 1e7,
  message_credits_per_month: 100, spend_micros_per_day: 1e8, spend_micros_per_month: 1e9, max_parallel_requests: 10,
};

function counting(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const counted = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, calls };
}

describe.each(STORES)('store calls per request (%s store)', (name, makeStore) => {
  let calls: Map<string, number>;
  let client: OpenAI;
  let user: string;
  // Keys' last use is written once per interval for every key, never per request (key-last-use.test.ts):
  // an interval longer than the test keeps that write out of the count.
  const gw = e2eSuite(() => {
    const c = counting(makeStore());
    calls = c.calls;
    return { store: c.store, clock: createManualClock(Date.UTC(2026, 10, 23, 12)), overrides: { 'auth.key_use_flush_ms': 3_600_000 } };
  });

  beforeAll(async () => {
    user = uniqueId('calls');
    client = gw.openai(await gw.userWithKey(user, EVERY_LIMIT));
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'warm up the key cache' }] });
  });

  it('one reserve and one settle per request, nothing else, with every limit applying', async () => {
    calls.clear();
    const monitor = name === 'redis' ? await testRedis().monitor() : null;
    const scripts: string[] = [];
    let kinds = '';
    monitor?.on('monitor', (_time: string, args: string[], source: string) => {
      // Commands a script runs show up too, with source "lua": count only what the gateway sent.
      if (!source.includes('lua') && args.some((a) => a.includes(`{u:${user}}`))) {
        scripts.push(String(args[0]).toLowerCase());
        // A batch call (group-commit.ts) names its requests' kinds after its keys: 'r' a reserve, 's' a settle.
        kinds += String(args[3 + Number(args[2])]);
      }
    });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const _chunk of stream) { /* drain */ }
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    await expect.poll(() => calls.get('settle'), { timeout: 5000 }).toBe(3);
    expect(Object.fromEntries(calls)).toEqual({ reserve: 3, settle: 3 });
    if (monitor) {
      // A settle and the next request's reserve may share a script call (group commit gathers a few turns).
      await expect.poll(() => kinds.length, { timeout: 5000 }).toBe(6);
      expect(kinds).toBe('rsrsrs');
      expect(scripts.length).toBeGreaterThanOrEqual(3);
      expect(scripts.every((s) => SCRIPT_CALLS.has(s))).toBe(true);
      monitor.disconnect();
    }
  });
});
