// Issue 13: a reserve the gateway gave up on holds nothing. Redis paused (SIGSTOP) past the
// client's command timeout, its connections cut, or restarted, while 50 users with parallel
// limits of 1 or 2 are reserving: Redis runs those reserves late (or has them in its append-only
// file), the gateway has answered 503 and released their ids; every user is served on the next
// request and nothing stays held. Redis here is a throwaway redis-server, paused and restarted by
// PID; for the restart, the gateway reaches it through a relay that swallows Redis's replies, so
// Redis provably ran reserves the gateway never heard back about (test/support/redis-relay.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CLIENT_OPTIONS, redisOptionsFor } from '../../src/store/create-store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { ask, askAll, cutConnections, expectGaveUp, held, makeCrowd, recovered, waitUnanswered } from '../support/crowd.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startRedisServer } from '../support/global-redis.js';
import { startRelay } from '../support/redis-relay.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';
import { tempDir } from '../support/temp-dir.js';

const AUTH_CACHED = { auth: { cache_ms: 600_000 }, server: { keep_alive_timeout_ms: 120_000 } };

describe('a Redis that stalls, loses its connections or restarts with reserves in flight (issue 13)', () => {
  let upstream: TestUpstream;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let client: Redis;
  let gw: TestGateway;
  const dir = tempDir('tollgate-stall');
  const redisArgs = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];

  beforeAll(async () => {
    upstream = await createTestUpstream();
    redis = await startRedisServer(redisArgs);
    // The production options, with room under a loaded test machine for all 50 reserves to be
    // written before the first times out (the restart case cuts the connections in between).
    client = new Redis({ ...redisOptionsFor(redis.url), ...CLIENT_OPTIONS, commandTimeout: 4000 });
    client.on('error', () => undefined);
    gw = await startGateway({ upstreamUrl: upstream.url, store: createRedisStore({ client }), overrides: AUTH_CACHED });
  }, 30_000);
  afterAll(async () => {
    await gw.close();
    client.disconnect();
    if (redis.child.pid && redis.child.exitCode === null) redis.child.kill('SIGKILL');
    await upstream.close();
  });

  it('paused past the command timeout: 503 while paused, every user served the moment it resumes', async () => {
    const crowd = await makeCrowd(gw, 'stall', 50);
    redis.child.kill('SIGSTOP');
    const during = await Promise.all(crowd.map((m) => ask(gw, m.key)));
    redis.child.kill('SIGCONT');
    expect(during.every((r) => r.status === 503 && r.code === 'store_unavailable')).toBe(true);
    expect(await askAll(gw, crowd)).toEqual(crowd.flatMap((m) => Array(m.parallel).fill(200)));
    expect(await held(gw, crowd)).toEqual({ slots: 0, tokens: 0 });
    // The release is in the ledger under the id the 503's log line names.
    const released = (await gw.store.ledger(crowd[0]!.id, 10)).find((r) => r.outcome === 'released');
    expect(released).toMatchObject({ costMicros: 0, promptTokens: 0 });
    expect(gw.logLines.some((l) => l.includes(`"requestId":"${released?.requestId}"`) && l.includes('store_unavailable'))).toBe(true);
  }, 60_000);

  it('connections cut while Redis holds unread reserves: every user served once the gateway has reconnected', async () => {
    const crowd = await makeCrowd(gw, 'reset', 50);
    redis.child.kill('SIGSTOP');
    const during = Promise.all(crowd.map((m) => ask(gw, m.key)));
    await waitUnanswered(client, crowd.length);
    cutConnections(client);
    redis.child.kill('SIGCONT');
    expectGaveUp(await during);
    await recovered(gw);
    expect(await askAll(gw, crowd)).toEqual(crowd.flatMap((m) => Array(m.parallel).fill(200)));
    expect(await held(gw, crowd)).toEqual({ slots: 0, tokens: 0 });
  }, 60_000);

  it('restarted after running reserves it never answered (kept in its append-only file): every user served once it is back', async () => {
    // This gateway reaches Redis through a relay that can swallow replies: Redis runs the reserves,
    // the gateway never hears back. Its command timeout is long enough that no reserve is given up
    // on (and released) before Redis is killed; then its reconnections are refused, and ioredis
    // fails the unanswered commands at its second refused attempt (maxRetriesPerRequest 1).
    const relay = await startRelay(redis.port);
    const viaRelay = new Redis({ ...redisOptionsFor(`redis://127.0.0.1:${relay.port}`), ...CLIENT_OPTIONS, commandTimeout: 15_000 });
    viaRelay.on('error', () => undefined);
    const gw2 = await startGateway({ upstreamUrl: upstream.url, store: createRedisStore({ client: viaRelay }), overrides: AUTH_CACHED });
    try {
      const crowd = await makeCrowd(gw2, 'restart', 50);
      await recovered(gw2);
      relay.swallowReplies();
      const during = Promise.all(crowd.map((m) => ask(gw2, m.key)));
      // Redis ran every reserve (read through the other gateway, connected to Redis directly).
      await expect.poll(async () => (await held(gw, crowd)).slots, { timeout: 10_000, interval: 50 }).toBe(crowd.length);
      // Killed and restarted from its append-only file; the gateway cannot reconnect until it is checked.
      await relay.refuse(true);
      const exited = new Promise((r) => redis.child.once('exit', r));
      redis.child.kill('SIGKILL');
      await exited;
      redis = await startRedisServer(redisArgs, redis.port);
      expectGaveUp(await during);
      await recovered(gw);
      expect((await held(gw, crowd)).slots).toBe(crowd.length);
      await relay.refuse(false);
      await recovered(gw2);
      expect(await askAll(gw2, crowd)).toEqual(crowd.flatMap((m) => Array(m.parallel).fill(200)));
      expect(await held(gw2, crowd)).toEqual({ slots: 0, tokens: 0 });
    } finally {
      await gw2.close();
      viaRelay.disconnect();
      await relay.close();
    }
  }, 60_000);
});

