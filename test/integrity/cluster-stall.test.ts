// Issue 13 on a three-node Redis Cluster: every master paused (SIGSTOP) past the command
// timeout, its connections cut while it holds reserves it has not read, or restarted after
// running reserves it never answered, while 50 users with parallel limits of 1 or 2 are
// reserving; every user is served on the next request and nothing stays held. And while every
// node is down, a request is answered 503 at once. The cluster is a
// throwaway one (test/support/redis-cluster.ts), paused and restarted by PID; for the restart,
// the gateway reaches each node through a relay that swallows its replies (test/support/redis-relay.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { CLUSTER_OPTIONS } from '../../src/store/create-store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { ask, askAll, cutConnections, expectGaveUp, held, makeCrowd, recovered, waitUnanswered } from '../support/crowd.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startCluster, type TestCluster } from '../support/redis-cluster.js';
import { startRelay, type RedisRelay } from '../support/redis-relay.js';
import { uniqueId } from '../support/redis-client.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const OVERRIDES = { auth: { cache_ms: 600_000 }, server: { keep_alive_timeout_ms: 120_000 } };

describe('a Redis Cluster that stalls, loses its connections or restarts with reserves in flight (issue 13)', () => {
  let upstream: TestUpstream;
  let cluster: TestCluster;
  let client: Cluster;
  let gw: TestGateway;
  const signal = (s: NodeJS.Signals) => cluster.processes.forEach((p) => p.child.kill(s));

  beforeAll(async () => {
    upstream = await createTestUpstream();
    // Append-only files for the restart: a killed process loses nothing Redis wrote to them (it
    // writes before it replies); fsync would guard against the machine crashing, not tested here.
    cluster = await startCluster({ extraArgs: ['--appendonly', 'yes', '--appendfsync', 'no'] });
    client = new Cluster(cluster.nodes, CLUSTER_OPTIONS);
    client.on('error', () => undefined);
    gw = await startGateway({ upstreamUrl: upstream.url, store: createRedisStore({ client }), overrides: OVERRIDES });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    client?.disconnect();
    signal('SIGCONT');
    cluster?.stop();
    await upstream?.close();
  });

  it('paused past the command timeout: 503 while paused, every user served the moment it resumes', async () => {
    const crowd = await makeCrowd(gw, 'cstall', 50);
    signal('SIGSTOP');
    const during = await Promise.all(crowd.map((m) => ask(gw, m.key)));
    signal('SIGCONT');
    expect(during.every((r) => r.status === 503 && r.code === 'store_unavailable')).toBe(true);
    expect(await askAll(gw, crowd)).toEqual(crowd.flatMap((m) => Array(m.parallel).fill(200)));
    expect(await held(gw, crowd)).toEqual({ slots: 0, tokens: 0 });
  }, 60_000);

  it('a command in flight when its node connection drops is not written again on the next one', async () => {
    const own = new Cluster(cluster.nodes, CLUSTER_OPTIONS);
    own.on('error', () => undefined);
    try {
      const key = uniqueId('once');
      expect(await own.get(key)).toBe(null);
      signal('SIGSTOP');
      const incr = own.incr(key);
      await waitUnanswered(own, 1);
      cutConnections(own);
      signal('SIGCONT');
      // Redis ran the copy it had read; the client fails the command (its outcome is unknown) rather than sending it again.
      await expect(incr).rejects.toThrow('Connection is closed');
      expect(await client.get(key)).toBe('1');
    } finally {
      own.disconnect();
    }
  }, 30_000);

  it('connections cut while the masters hold unread reserves: every user served once the gateway has reconnected', async () => {
    const crowd = await makeCrowd(gw, 'creset', 50);
    signal('SIGSTOP');
    const during = Promise.all(crowd.map((m) => ask(gw, m.key)));
    await waitUnanswered(client, crowd.length);
    cutConnections(client);
    signal('SIGCONT');
    expectGaveUp(await during);
    await recovered(gw);
    expect(await askAll(gw, crowd)).toEqual(crowd.flatMap((m) => Array(m.parallel).fill(200)));
    expect(await held(gw, crowd)).toEqual({ slots: 0, tokens: 0 });
  }, 60_000);

  it('restarted after running reserves it never answered (kept in its append-only files): every user served once it is back', async () => {
    // A gateway whose node connections go through relays (the Cluster maps each node's address to
    // its relay): the masters run the reserves, the gateway never hears back. Its command timeout
    // is long enough that no reserve is given up on before the nodes are killed.
    const relays: RedisRelay[] = await Promise.all(cluster.nodes.map((n) => startRelay(n.port)));
    const natMap = Object.fromEntries(cluster.nodes.map((n, i) => [`${n.host}:${n.port}`, { host: n.host, port: relays[i]!.port }]));
    const viaRelays = new Cluster(relays.map((r) => ({ host: '127.0.0.1', port: r.port })),
      { ...CLUSTER_OPTIONS, natMap, redisOptions: { ...CLUSTER_OPTIONS.redisOptions, commandTimeout: 15_000 } });
    viaRelays.on('error', () => undefined);
    const gw2 = await startGateway({ upstreamUrl: upstream.url, store: createRedisStore({ client: viaRelays }), overrides: OVERRIDES });
    try {
      const crowd = await makeCrowd(gw2, 'crestart', 50);
      await recovered(gw2);
      relays.forEach((r) => r.swallowReplies());
      const during = Promise.all(crowd.map((m) => ask(gw2, m.key)));
      // The masters ran every reserve (read through the other gateway, connected to them directly).
      await expect.poll(async () => (await held(gw, crowd)).slots, { timeout: 10_000, interval: 50 }).toBe(crowd.length);
      await Promise.all(relays.map((r) => r.refuse(true)));
      await cluster.restart();
      expectGaveUp(await during);
      await recovered(gw);
      expect((await held(gw, crowd)).slots).toBe(crowd.length);
      await Promise.all(relays.map((r) => r.refuse(false)));
      await recovered(gw2);
      expect(await askAll(gw2, crowd)).toEqual(crowd.flatMap((m) => Array(m.parallel).fill(200)));
      expect(await held(gw2, crowd)).toEqual({ slots: 0, tokens: 0 });
    } finally {
      await gw2.close();
      viaRelays.disconnect();
      await Promise.all(relays.map((r) => r.close()));
    }
  }, 60_000);

  it('every node down: a request is answered 503 at once (not held until the cluster is back), and served once it is', async () => {
    const crowd = await makeCrowd(gw, 'cdown', 5);
    let during: Array<{ status: number; code: string | null } | 'no answer within 10 s'> = [];
    await cluster.restart(async () => {
      // The client has seen every node go (until then a command fails on its closed connection).
      await expect.poll(() => client.status, { timeout: 10_000, interval: 20 }).not.toBe('ready');
      const noAnswer = new Promise<'no answer within 10 s'>((r) => setTimeout(() => r('no answer within 10 s'), 10_000).unref());
      during = await Promise.all(crowd.map((m) => Promise.race([ask(gw, m.key), noAnswer])));
    });
    expect(during).toEqual(crowd.map(() => expect.objectContaining({ status: 503, code: 'store_unavailable' })));
    await recovered(gw);
    expect(await askAll(gw, crowd)).toEqual(crowd.flatMap((m) => Array(m.parallel).fill(200)));
    expect(await held(gw, crowd)).toEqual({ slots: 0, tokens: 0 });
  }, 60_000);
});
