// A Redis without persistence that restarts has forgotten everything; the gateway says so on
// /readyz and in its log (issue 13). One with an append-only file keeps its marker: nothing said.
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CLIENT_OPTIONS, redisOptionsFor } from '../../src/store/create-store.js';
import { openDurableStore } from '../../src/store/durable/durable-store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startRedisServer } from '../support/global-redis.js';
import { tempDir } from '../support/temp-dir.js';

describe('a store that lost its data', () => {
  let gw: TestGateway | undefined;
  let client: Redis | undefined;
  let redis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
  afterEach(async () => {
    await gw?.close();
    client?.disconnect();
    redis?.child.kill('SIGKILL');
    [gw, client, redis] = [undefined, undefined, undefined];
  });

  const restart = async (args: string[]) => {
    const r = redis as NonNullable<typeof redis>;
    const exited = new Promise((resolve) => r.child.once('exit', resolve));
    r.child.kill('SIGTERM');
    await exited;
    redis = await startRedisServer(args, r.port);
  };
  const readyz = async () => (await (await fetch(`${gw?.url}/readyz`)).json()) as Record<string, unknown>;

  it.each([
    ['without persistence', [] as string[], true],
    ['with an append-only file', ['--appendonly', 'yes', '--dir', tempDir('tollgate-epoch')], false],
  ])('restarted %s: /readyz and the log say whether it was emptied', async (_name, args, emptied) => {
    redis = await startRedisServer(args);
    client = new Redis({ ...redisOptionsFor(redis.url), ...CLIENT_OPTIONS });
    client.on('error', () => undefined);
    gw = await startGateway({ upstreamUrl: 'http://127.0.0.1:9', store: createRedisStore({ client }) });
    expect(await readyz()).toEqual({ status: 'ready', store: 'redis' });
    expect(gw.logLines.filter((l) => l.includes('store looks freshly emptied'))).toHaveLength(1); // a first start
    await restart(args);
    await expect.poll(async () => (await fetch(`${gw?.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    const after = await readyz();
    expect(typeof after.store_emptied_at === 'string').toBe(emptied);
    expect(gw.logLines.some((l) => l.includes('store was emptied while this gateway ran'))).toBe(emptied);
  }, 30_000);

  it('the embedded store on disk is new only when its data directory is', async () => {
    const dir = tempDir('tollgate-epoch-data');
    const open = () => openDurableStore({ dir, fsync: 'always', warn: () => undefined });
    const first = open();
    expect((await first.epoch()).created).toBe(true);
    expect((await first.epoch()).created).toBe(false);
    await first.close();
    const again = open();
    expect((await again.epoch()).created).toBe(false);
    await again.close();
  });
});
