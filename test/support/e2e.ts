// The one fixture of the end-to-end suites: a real upstream (test/support/upstream.ts, and the
// Anthropic one when a suite asks), a Tollgate on the store the suite names (gateway.ts), started
// before the suite's tests and closed after them with its store; users with limits and a key, the
// official SDK clients, and what /v1/quota and the ledger say of a user.
//
//   describe.each(STORES)('… (%s store)', (_name, makeStore) => {
//     const gw = e2eSuite(() => ({ store: makeStore(), overrides: { … } }));
//     it('…', async () => { const { key } = await gw.user({ tokens_per_day: 1000 }); … gw.upstream.state … });
//   });
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import type { Store } from '../../src/store/types.js';
import { createAnthropicUpstream, type AnthropicUpstream } from './anthropic-upstream.js';
import { startGateway, type TestGateway } from './gateway.js';
import { uniqueId } from './redis-client.js';
import { createTestUpstream, type TestUpstream, type UpstreamOptions } from './upstream.js';

export type Limits = Record<string, number | null>;

export interface E2eOptions {
  readonly store: Store;
  readonly clock?: Clock;
  /** Config, over the test defaults (gateway.ts). */
  readonly overrides?: Record<string, unknown>;
  /** More environment (upstreams' keys by `api_key_env`). */
  readonly env?: Record<string, string>;
  /** The OpenAI-compatible test upstream's options: it is the default upstream unless `anthropic` says otherwise. */
  readonly upstream?: UpstreamOptions;
  /**
   * An Anthropic upstream too, configured as `upstreams` entry `anthropic` (kind anthropic): for
   * the `models` patterns beside the OpenAI upstream (`openai`, the default), or with no `models`
   * the one and default upstream. `keyEnv`: the variable its key is read from.
   */
  readonly anthropic?: { readonly models?: readonly string[]; readonly keyEnv?: string };
}

/** A row of GET /v1/quota. */
export interface QuotaRow {
  dimension: string; window: string; scope: string; used: number; reserved: number; limit: number; remaining: number; resets_at: string | null;
  [field: string]: unknown;
}
/** GET /v1/quota's answer, with its status. */
export interface QuotaAnswer { status: number; user?: string; limits: QuotaRow[]; error?: { code: string; message: string } }

/** A ledger record (GET /admin/ledger). */
export interface LedgerRow {
  model: string; promptTokens: number; completionTokens: number; cachedTokens: number; cacheWriteTokens?: number; costMicros: number;
  outcome: string; estimated: boolean; upstream?: string;
  [field: string]: unknown;
}

export interface E2e extends TestGateway {
  /** The OpenAI-compatible test upstream. */
  readonly upstream: TestUpstream;
  /** The Anthropic test upstream (when the options asked for one). */
  readonly anthropicUpstream: AnthropicUpstream;
  /** A user with these limits (its id `prefix` made unique) and a key for it. */
  user(limits?: Limits, prefix?: string): Promise<{ user: string; key: string }>;
  /** The official SDKs, with Tollgate as their base URL and no retries. */
  openai(key: string): OpenAI;
  anthropic(key: string): Anthropic;
  /** GET /v1/quota with this key (Bearer) and more headers. */
  quota(key: string, headers?: Record<string, string>): Promise<QuotaAnswer>;
  /** The user's ledger records, once there are `n` of them. */
  ledger(user: string, n: number): Promise<LedgerRow[]>;
  /** Another gateway on the same store and upstreams (a replica), closed with this one. */
  replica(overrides?: Record<string, unknown>): Promise<TestGateway>;
  /** Closes the gateway and its replicas, the store and the upstreams. */
  close(): Promise<void>;
}

export async function startE2e(o: E2eOptions): Promise<E2e> {
  const upstream = await createTestUpstream(o.upstream);
  const anthropic = o.anthropic ? await createAnthropicUpstream() : null;
  const upstreams = anthropic ? [
    { name: 'anthropic', kind: 'anthropic', base_url: anthropic.url, ...(o.anthropic?.keyEnv ? { api_key_env: o.anthropic.keyEnv } : {}),
      ...(o.anthropic?.models ? { models: o.anthropic.models } : { default: true }) },
    ...(o.anthropic?.models ? [{ name: 'openai', kind: 'openai', base_url: upstream.url, default: true }] : []),
  ] : null;
  const start = (overrides: Record<string, unknown> = {}) => startGateway({ upstreamUrl: upstream.url, store: o.store, clock: o.clock, env: o.env,
    overrides: { ...(upstreams ? { upstreams } : {}), ...o.overrides, ...overrides } });
  const gw = await start();
  const replicas: TestGateway[] = [];
  const admin = gw.admin;

  return {
    ...gw,
    upstream,
    get anthropicUpstream(): AnthropicUpstream {
      if (!anthropic) throw new Error('this suite started no Anthropic upstream (options.anthropic)');
      return anthropic;
    },
    async user(limits = {}, prefix = 'user') {
      const user = uniqueId(prefix);
      return { user, key: await gw.userWithKey(user, limits) };
    },
    openai: (key) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 }),
    anthropic: (key) => new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 }),
    async quota(key, headers = {}) {
      const r = await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${key}`, ...headers } });
      return { status: r.status, ...((await r.json()) as Omit<QuotaAnswer, 'status'>) };
    },
    async ledger(user, n) {
      let records: LedgerRow[] = [];
      await expect.poll(async () => {
        records = (await admin('GET', `/admin/ledger?user=${user}`)).json.records as LedgerRow[];
        return records.length;
      }).toBe(n);
      return records;
    },
    async replica(overrides) {
      const r = await start(overrides);
      replicas.push(r);
      return r;
    },
    async close() {
      for (const r of replicas) await r.close();
      await gw.close();
      await o.store.close();
      await upstream.close();
      await anthropic?.close();
    },
  };
}

/**
 * The fixture of the calling describe block: started in its beforeAll (from `options`, called
 * then: after the block's earlier beforeAll hooks), closed in its afterAll. What it returns stands
 * for the fixture once beforeAll has run.
 */
export function e2eSuite(options: () => E2eOptions | Promise<E2eOptions>): E2e {
  let current: E2e | null = null;
  beforeAll(async () => {
    current = await startE2e(await options());
  });
  afterAll(async () => {
    await current?.close();
    current = null;
  });
  return new Proxy({} as E2e, {
    get(_target, name) {
      if (!current) throw new Error(`the e2e fixture is not started: '${String(name)}' is read outside a test`);
      return Reflect.get(current, name) as unknown;
    },
  });
}
