// Issue 13: a reserve the gateway gave up on holds nothing. Redis paused (SIGSTOP) past the
// client's command timeout, its connections cut, or restarted, while 50 users with parallel
// limits of 1 or 2 are reserving: Redis runs those reserves late (or has them in its append-only
// file), the gateway has answered 503 and released their ids; every user is served on the next
// request and nothing stays held. Redis here is a throwaway redis-server, paused and restarted by PID.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CLIENT_OPTIONS, redisOptionsFor } from '../../src/store/create-store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { ask, askAll, cutConnections, held, makeCrowd, recovered, waitUnanswered } from '../support/crowd.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startRedisServer } from '../support/global-redis.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const AUTH_CACHED = { auth: { cache_ms: 600_000 }, server: { keep_alive_timeout_ms: 120_000 } };

describe('a Redis that stalls, loses its connections or restarts with reserves in flight (issue 13)', () => {
  let upstream: TestUpstream;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let client: Redis;
  let gw: TestGateway;
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-stall-'));
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

  // Its precondition (Redis runs the reserves it read before the cut, then is killed once they are in
  // its AOF) did not come about within 10 s in a clean-clone CI run on the idle machine (08:33 UTC,
  // 2026-12-01) after group commit landed, though it passed 10 of 10 on the loaded machine: it runs in
  // `npm run verify:integrity` (TOLLGATE_LONG_SCENARIOS=1) until its setup is made deterministic.
  it.runIf(process.env.TOLLGATE_LONG_SCENARIOS === '1')('restarted after running reserves it never answered (kept in its append-only file): every user served once it is back', async () => {
    const crowd = await makeCrowd(gw, 'restart', 50);
    const users = crowd.map((m) => m.id);
    const before = reservedInAof(dir, users).size;
    redis.child.kill('SIGSTOP');
    const during = Promise.all(crowd.map((m) => ask(gw, m.key)));
    await waitUnanswered(client, crowd.length);
    cutConnections(client);
    // Resumed: it runs the reserves it had read and cannot answer them; killed once they are on disk.
    redis.child.kill('SIGCONT');
    await expect.poll(() => reservedInAof(dir, users).size, { timeout: 10_000, interval: 10 }).toBeGreaterThan(before);
    const exited = new Promise((r) => redis.child.once('exit', r));
    redis.child.kill('SIGKILL');
    await exited;
    redis = await startRedisServer(redisArgs, redis.port);
    expectGaveUp(await during);
    await recovered(gw);
    expect(await askAll(gw, crowd)).toEqual(crowd.flatMap((m) => Array(m.parallel).fill(200)));
    expect(await held(gw, crowd)).toEqual({ slots: 0, tokens: 0 });
  }, 60_000);
});

/**
 * Answers while the connections were cut: a 503 for every reserve, which the gateway gave up on
 * (the client writes a command once: it does not resend it on its next connection).
 */
function expectGaveUp(answers: ReadonlyArray<{ status: number; code: string | null }>): void {
  expect(answers.filter((r) => r.status !== 503 || r.code !== 'store_unavailable')).toEqual([]);
}

/** Ids of these users' reservations the append-only file shows made (fsync'd on every write). */
function reservedInAof(dir: string, users: readonly string[]): Set<string> {
  const aofDir = path.join(dir, 'appendonlydir');
  const text = readdirSync(aofDir).filter((f) => f.endsWith('.aof')).map((f) => readFileSync(path.join(aofDir, f), 'latin1')).join('');
  const ids = new Set<string>();
  for (const m of text.matchAll(/tg:\{u:([^}]+)\}:resv:([\w.:-]+)\r\n\$\d+\r\n\{/g)) if (users.includes(m[1] as string)) ids.add(m[2] as string);
  return ids;
}
