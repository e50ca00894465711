// The tollgate CLI, run as a process against a real gateway: help, tables for people with human
// units and limits as columns, --json for scripts, documented exit codes.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

const run = promisify(execFile);
const cli = path.resolve('dist/cli/main.js');
type Failed = { code: number; stderr: string; stdout: string };

describe('tollgate CLI', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const tollgate = (...args: string[]) => run(cli, args, { env: { PATH: process.env.PATH ?? '', TOLLGATE_URL: gw.url, TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
  const fails = (...args: string[]) => tollgate(...args).then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Failed);

  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: createMemoryStore(), overrides: { 'auth.cache_ms': 0 } });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('prints usage for no command, help, --help and <command> --help, without needing an admin key', async () => {
    const bare = await run(cli, [], { env: { PATH: process.env.PATH ?? '' } });
    expect(bare.stdout).toMatch(/^tollgate — the Tollgate admin CLI/);
    expect(bare.stdout).toContain('users create <id>');
    expect(bare.stdout).toContain('ledger [--user ID]');
    expect(bare.stdout).toMatch(/Exit codes:\n {2}0 {2}done\n {2}1 {2}the gateway answered with an error/);
    expect((await run(cli, ['help'], { env: {} })).stdout).toBe(bare.stdout);
    expect((await run(cli, ['--help'], { env: {} })).stdout).toBe(bare.stdout);
    const one = await run(cli, ['ledger', '--help'], { env: {} });
    expect(one.stdout).toMatch(/^Usage: tollgate ledger /);
    expect(one.stdout).toContain('--all follows the cursor');
    expect((await run(cli, ['help', 'keys', 'create'], { env: {} })).stdout).toMatch(/^Usage: tollgate keys create <user>/);
    expect((await run(cli, ['users', 'create', '-h'], { env: {} })).stdout).toMatch(/^Usage: tollgate users create <id>/);
    // Every column /admin/usage can sort by is offered (the registry's dimensions, not a copy of them).
    expect((await run(cli, ['usage', '--help'], { env: {} })).stdout).toContain('--sort spend_micros|requests|messages|tokens|credits|failed_requests|id');
  });

  it('creates a user and a key, sets a limit, shows usage in human units with limits as columns, revokes the key', async () => {
    const created = await tollgate('users', 'create', 'alice', '--tokens-per-day', '500000', '--spend-micros-per-month', '5000000');
    expect(created.stdout).toMatch(/^created user alice\nid\s+disabled\s+tokens_per_day\s+spend_micros_per_month\s+created\n/);
    expect(created.stdout).toMatch(/\nalice\s+500K\s+\$5\.00\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\n$/);
    const key = JSON.parse((await tollgate('keys', 'create', 'alice', '--name', 'laptop', '--json')).stdout) as { key: string; keyId: string };
    expect(key.key).toMatch(/^tg-/);
    const set = await tollgate('limits', 'set', 'alice', 'messages_per_day=200', 'tokens_per_day=null');
    expect(set.stdout).toMatch(/messages_per_day/);
    expect(set.stdout).not.toContain('tokens_per_day');
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] }) });
    await r.arrayBuffer();
    const usage = (await tollgate('usage', '--window', 'day')).stdout.split('\n');
    expect(usage[0]).toMatch(/^id\s+requests\s+failed\s+messages\s+messages limit\s+tokens\s+credits\s+spend$/);
    expect(usage.find((l) => l.startsWith('alice'))).toMatch(/^alice\s+1\s+0\s+1\s+200\s+379\s+1\s+\$0\.00015$/);
    const month = (await tollgate('usage', '--window', 'month')).stdout.split('\n');
    expect(month[0]).toMatch(/\sspend\s+spend limit$/);
    expect(month.find((l) => l.startsWith('alice'))).toMatch(/\$0\.00015\s+\$5\.00$/);
    const keys = (await tollgate('keys', 'list', 'alice')).stdout;
    expect(keys).toMatch(/^key id\s+prefix\s+name\s+created\s+last used\s+expires\n/);
    expect(keys).toContain('laptop');
    // The request above used the key: its last use is a time, not '-'.
    expect(keys.split('\n').find((l) => l.includes('laptop'))).toMatch(/laptop\s+\S+ \S+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+-$/);
    expect((await tollgate('keys', 'revoke', key.keyId)).stdout).toContain(`revoked ${key.keyId}`);
    expect((JSON.parse((await tollgate('keys', 'list', 'alice', '--json')).stdout) as { keys: unknown[] }).keys).toHaveLength(0);
  });

  it('exits 1 with the gateway\'s message, 2 for a command it does not understand, 3 when the gateway is unreachable', async () => {
    const e = await fails('limits', 'set', 'nobody', 'messages_per_day=5');
    expect(e.code).toBe(1);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/^tollgate: 404: no user 'nobody'/);
    const bad = await fails('limits', 'set', 'alice', 'messages_per_day=lots');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'lots' is not a non-negative integer");
    expect((await fails('users', 'create', 'bob', '--tokens-per-fortnight', '5')).code).toBe(2);
    const unknown = await fails('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const noKey = (await run(cli, ['usage'], { env: { PATH: process.env.PATH ?? '' } }).catch((err: unknown) => err)) as Failed;
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('no admin key');
    const away = (await run(cli, ['usage', '--url', 'http://127.0.0.1:9', '--admin-key', 'x'], { env: {} }).catch((err: unknown) => err)) as Failed;
    expect(away.code).toBe(3);
    expect(away.stderr).toContain('cannot reach http://127.0.0.1:9');
  });
});
