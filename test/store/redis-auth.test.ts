// Redis URLs as operators write them: a password, an ACL user, a database number, TLS (rediss://).
// Connections are tested where a server can be started here; TLS only as parsed options.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/loader.js';
import { createLogger } from '../../src/log/logger.js';
import { createStore, redisOptionsFor } from '../../src/store/create-store.js';
import { startRedisServer } from '../support/global-redis.js';

describe('Redis URLs with credentials', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;

  beforeAll(async () => {
    server = await startRedisServer(['--requirepass', 'default-secret']);
    const admin = new Redis({ port: server.port, password: 'default-secret' });
    await admin.call('ACL', 'SETUSER', 'tollgate', 'on', '>acl-secret', '~tg:*', '+@all');
    await admin.quit();
  });
  afterAll(() => {
    server.child.kill('SIGKILL');
  });

  const logger = createLogger('silent');

  it.each([
    ['a password', (port: number) => `redis://:default-secret@127.0.0.1:${port}`],
    ['an ACL user and a database number', (port: number) => `redis://tollgate:acl-secret@127.0.0.1:${port}/2`],
  ])('connects with %s', async (_what, url) => {
    const store = createStore(loadConfig({ REDIS_URL: url(server.port) }), logger);
    await store.ping();
    await store.putSettings({ tokens_per_day: 5 });
    expect(await store.getSettings()).toEqual({ tokens_per_day: 5 });
    await store.close();
  });

  it('refuses a wrong password (the store reports unavailable, no crash)', async () => {
    const store = createStore(loadConfig({ REDIS_URL: `redis://:wrong@127.0.0.1:${server.port}` }), logger);
    await expect(store.ping()).rejects.toThrow();
    await store.close().catch(() => undefined);
  });

  it('reads TLS from rediss:// and keeps the credentials out of the log', () => {
    const options = redisOptionsFor('rediss://user:pw@redis.example:6380/1');
    expect(options).toMatchObject({ host: 'redis.example', port: 6380, username: 'user', password: 'pw', db: 1 });
    expect(options.tls).toBeDefined();
    expect(() => loadConfig({ REDIS_URL: 'http://nope' })).toThrow(/store\.redis_url/);
  });
});
