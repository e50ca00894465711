import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/loader.js';
import { tempDir } from '../support/temp-dir.js';

function dirWith(files: Record<string, string>): string {
  const dir = tempDir('tollgate-config');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('config loader', () => {
  it('loads the shipped config/gateway.yaml with its defaults and the price table', () => {
    const c = loadConfig({});
    expect(c.server.port).toBe(8080);
    expect(c.enforcement).toBe('hard');
    expect(c.limits.tokens_per_day).toBe(500000);
    expect(c.prices.lookup('gpt-4o-mini-2024-07-18')).toEqual(c.prices.lookup('gpt-4o-mini'));
    expect(Object.isFrozen(c) && Object.isFrozen(c.server)).toBe(true);
  });

  it('lets the environment override the file', () => {
    const c = loadConfig({ PORT: '9999', REDIS_URL: 'redis://127.0.0.1:7000', MONTHLY_MESSAGE_CREDIT_LIMIT: '30',
      TOLLGATE_ENFORCEMENT: 'soft', OPENAI_API_KEY: 'sk-fallback', REDIS_CLUSTER_NODES: 'a:1, b:2' });
    expect(c.server.port).toBe(9999);
    expect(c.store.redis_url).toBe('redis://127.0.0.1:7000');
    expect(c.limits.message_credits_per_month).toBe(30);
    expect(c.enforcement).toBe('soft');
    expect(c.upstream.api_key).toBe('sk-fallback');
    expect(c.store.cluster_nodes).toEqual(['a:1', 'b:2']);
    expect(loadConfig({ UPSTREAM_API_KEY: 'sk-own', OPENAI_API_KEY: 'sk-fallback' }).upstream.api_key).toBe('sk-own');
  });

  it('reports every bad field at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', TOLLGATE_FAIL_MODE: 'sometimes', MONTHLY_MESSAGE_CREDIT_LIMIT: '-3', TOLLGATE_ADMIN_KEY: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).problems.join('\n');
    expect(text).toContain('server.port');
    expect(text).toContain('fail_mode');
    expect(text).toContain('limits.message_credits_per_month');
    expect(text).toContain('admin_key');
  });

  it('refuses unknown fields and unknown limits in the file', () => {
    const dir = dirWith({ 'gateway.yaml': 'limits:\n  tokens_per_fortnight: 5\nsevrer: {}\n', 'prices.yaml': 'models: {}\n' });
    expect(() => loadConfig({ TOLLGATE_CONFIG: path.join(dir, 'gateway.yaml') })).toThrow(/tokens_per_fortnight|sevrer/);
  });

  it('validates the price table', () => {
    const dir = dirWith({ 'gateway.yaml': 'log_level: info\n', 'prices.yaml': 'models:\n  m: { input: -1, output: 2 }\n' });
    expect(() => loadConfig({ TOLLGATE_CONFIG: path.join(dir, 'gateway.yaml') })).toThrow(/models\.m\.input/);
  });
});
