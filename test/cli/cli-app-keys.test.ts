// The CLI's commands for apps: service keys, and a key's own limits.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const run = promisify(execFile);
const cli = path.resolve('dist/cli/main.js');

describe('tollgate CLI: service keys and key limits', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const tollgate = (...args: string[]) => run(cli, args, { env: { PATH: process.env.PATH ?? '', TOLLGATE_URL: gw.url, TOLLGATE_ADMIN_KEY: ADMIN_KEY } });

  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: createMemoryStore() });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('creates and lists service keys, and gives a key limits of its own', async () => {
    const svc = JSON.parse((await tollgate('service-keys', 'create', 'chat-app', '--json')).stdout) as { key: string; keyId: string };
    expect(svc.key).toMatch(/^tg-/);
    expect((await tollgate('service-keys', 'list')).stdout).toContain('chat-app');

    await tollgate('users', 'create', 'bob');
    const key = JSON.parse((await tollgate('keys', 'create', 'bob', '--name', 'laptop', '--requests-per-day', '1', '--json')).stdout) as { keyId: string; limits: unknown };
    expect(key.limits).toEqual({ requests_per_day: 1 });
    const set = await tollgate('keys', 'limits', key.keyId, 'requests_per_day=3', 'spend_micros_per_day=5000000');
    expect(set.stdout).toContain(`limits of key ${key.keyId}`);
    const listed = JSON.parse((await tollgate('keys', 'list', 'bob', '--json')).stdout) as { keys: Array<{ limits: unknown }> };
    expect(listed.keys[0]?.limits).toEqual({ requests_per_day: 3, spend_micros_per_day: 5_000_000 });
  });
});
