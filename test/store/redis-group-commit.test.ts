// The Redis store sends each event-loop turn's script calls in one write, and a turn's batch goes
// out without waiting for the replies to the batches before it. Against a redis-server of this
// file's own (CLIENT PAUSE would hold up every other suite on a shared one).
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_OPTIONS, redisOptionsFor } from '../../src/store/create-store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import type { Store } from '../../src/store/types.js';
import { startRedisServer } from '../support/global-redis.js';
import { check, plainReservation } from './contract.js';

const checks = [check('requests', 'day', 1000, 1)];
const reserve = (store: Store, requestId: string) => store.reserve(plainReservation({ userId: 'batching', requestId, checks }));

/** Counts the writes Node makes on the client's socket (each is one write or writev syscall). */
function countWrites(socket: Socket): { readonly count: number } {
  const counter = { count: 0 };
  const s = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const original = s[name];
    s[name] = function (this: unknown, ...args: unknown[]) {
      counter.count++;
      return original.apply(this, args);
    };
  }
  return counter;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('Redis store write batching', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let client: Redis;
  let store: Store;

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis({ ...redisOptionsFor(server.url), ...CLIENT_OPTIONS });
    store = createRedisStore({ client });
    await store.ping();
  });
  afterAll(async () => {
    await store.close();
    server.child.kill('SIGKILL');
  });

  it('sends twenty reservations made in one turn in one write, and each gets its own answer', async () => {
    const writes = countWrites(client.stream);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(store, `one-turn-${i}`)));
    expect(writes.count).toBe(1);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.map((r) => r.states[0]?.reserved).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("sends a turn's batch while the previous batch is still waiting for Redis", async () => {
    const admin = new Redis(server.url);
    const writes = countWrites(client.stream);
    // Redis holds every write command (scripts included) for 400 ms: the first reply cannot come sooner.
    await admin.call('CLIENT', 'PAUSE', '400', 'WRITE');
    let firstDone = false;
    const first = reserve(store, 'paused-1').then((r) => {
      firstDone = true;
      return r;
    });
    while (writes.count < 1) await nextTurn();
    const second = reserve(store, 'paused-2');
    const deadline = Date.now() + 300;
    while (writes.count < 2 && Date.now() < deadline) await nextTurn();
    expect(writes.count).toBe(2);
    expect(firstDone).toBe(false);
    expect((await first).ok).toBe(true);
    expect((await second).ok).toBe(true);
    await admin.quit();
  });
});
