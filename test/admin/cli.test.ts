// The tollgate CLI, run as a process against a real gateway: tables for people, --json for
// scripts, a non-zero exit and one line on failure.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const run = promisify(execFile);
const cli = path.resolve('dist/cli/main.js');

describe('tollgate CLI', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const tollgate = (...args: string[]) => run(cli, args, { env: { PATH: process.env.PATH ?? '', TOLLGATE_URL: gw.url, TOLLGATE_ADMIN_KEY: ADMIN_KEY } });

  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: createMemoryStore(), overrides: { 'auth.cache_ms': 0 } });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('creates a user and a key, sets a limit, shows usage, revokes the key', async () => {
    const created = await tollgate('users', 'create', 'alice', '--tokens-per-day', '500000');
    expect(created.stdout).toContain('created user alice {"tokens_per_day":500000}');
    const key = JSON.parse((await tollgate('keys', 'create', 'alice', '--json')).stdout) as { key: string; keyId: string };
    expect(key.key).toMatch(/^tg-/);
    const set = await tollgate('limits', 'set', 'alice', 'messages_per_day=200', 'tokens_per_day=null');
    expect(set.stdout).toContain('"messages_per_day":200');
    expect(set.stdout).not.toContain('tokens_per_day');
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] }) });
    await r.arrayBuffer();
    const usage = (await tollgate('usage', '--window', 'day')).stdout.split('\n');
    expect(usage[0]).toMatch(/^id\s+requests\s+messages\s+tokens\s+credits\s+spend_micros\s+limits$/);
    expect(usage.find((l) => l.startsWith('alice'))).toMatch(/^alice\s+1\s+1\s+379\s+1\s+147\s/);
    expect((await tollgate('keys', 'revoke', key.keyId)).stdout).toContain(`revoked ${key.keyId}`);
    const keys = JSON.parse((await tollgate('keys', 'list', 'alice', '--json')).stdout) as { keys: unknown[] };
    expect(keys.keys).toHaveLength(0);
  });

  it('fails with a one-line error and a non-zero exit', async () => {
    const e = (await tollgate('limits', 'set', 'nobody', 'messages_per_day=5').catch((err: unknown) => err)) as { code: number; stderr: string };
    expect(e.code).toBe(1);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/^tollgate: 404: no user 'nobody'/);
    const bad = (await tollgate('limits', 'set', 'alice', 'messages_per_day=lots').catch((err: unknown) => err)) as { code: number; stderr: string };
    expect(bad.stderr).toContain("'lots' is not a non-negative integer");
    const noKey = (await run(cli, ['usage'], { env: { PATH: process.env.PATH ?? '' } }).catch((err: unknown) => err)) as { code: number; stderr: string };
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('no admin key');
  });
});
