// Issue 13 on a three-node Redis Cluster: every master paused (SIGSTOP) past the command
// timeout, or its connections cut while it holds reserves it has not read, while 50 users with
// parallel limits of 1 or 2 are reserving; every user is served on the next request and nothing
// stays held. The cluster is a throwaway one (test/support/redis-cluster.ts), paused by PID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { CLIENT_OPTIONS } from '../../src/store/create-store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { ask, askAll, cutConnections, held, makeCrowd, recovered, waitUnanswered } from '../support/crowd.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startCluster, type TestCluster } from '../support/redis-cluster.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

describe('a Redis Cluster that stalls or loses its connections with reserves in flight (issue 13)', () => {
  let upstream: TestUpstream;
  let cluster: TestCluster;
  let client: Cluster;
  let gw: TestGateway;
  const signal = (s: NodeJS.Signals) => cluster.processes.forEach((p) => p.child.kill(s));

  beforeAll(async () => {
    upstream = await createTestUpstream();
    cluster = await startCluster();
    client = new Cluster(cluster.nodes, { redisOptions: CLIENT_OPTIONS, clusterRetryStrategy: CLIENT_OPTIONS.retryStrategy });
    client.on('error', () => undefined);
    gw = await startGateway({ upstreamUrl: upstream.url, store: createRedisStore({ client }),
      overrides: { auth: { cache_ms: 600_000 }, server: { keep_alive_timeout_ms: 120_000 } } });
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

  it('connections cut while the masters hold unread reserves: every user served once the gateway has reconnected', async () => {
    const crowd = await makeCrowd(gw, 'creset', 50);
    signal('SIGSTOP');
    const during = Promise.all(crowd.map((m) => ask(gw, m.key)));
    await waitUnanswered(client, crowd.length);
    cutConnections(client);
    signal('SIGCONT');
    // 503 for a reserve given up on, 200 for one resent on a new connection that Redis ran first.
    expect((await during).filter((r) => r.status !== 503 && r.status !== 200)).toEqual([]);
    await recovered(gw);
    expect(await askAll(gw, crowd)).toEqual(crowd.flatMap((m) => Array(m.parallel).fill(200)));
    expect(await held(gw, crowd)).toEqual({ slots: 0, tokens: 0 });
  }, 60_000);
});
