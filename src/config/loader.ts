// The only reader of process.env: reads config/gateway.yaml (or TOLLGATE_CONFIG), applies the
// environment overrides, validates everything at once and returns a frozen Config.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { createPriceTable, type PriceTable } from '../pricing/price-table.js';
import { configSchema, pricesSchema, type RawConfig } from './schema.js';

/** A webhook with its signing secret, read from the environment variable its `secret_env` names. */
export type Webhook = RawConfig['webhooks'][number] & { readonly secret: string };

/** An upstream with its key, read from the environment variable its `api_key_env` names. */
export type UpstreamEntry = RawConfig['upstreams'][number] & { readonly apiKey: string | null };

export type Config = Readonly<Omit<RawConfig, 'webhooks' | 'upstreams'>> & {
  readonly prices: PriceTable;
  readonly source: string;
  readonly webhooks: readonly Webhook[];
  readonly upstreams: readonly UpstreamEntry[];
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;
type Tree = Record<string, unknown>;

function set(tree: Tree, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = tree;
  for (const p of parts.slice(0, -1)) {
    if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
    node = node[p] as Tree;
  }
  node[parts.at(-1) as string] = value;
}

const asNumber = (v: string): number | string => (/^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v);

/** Environment variables and the field each one overrides. */
const OVERRIDES: ReadonlyArray<[string, string, (v: string) => unknown]> = [
  ['PORT', 'server.port', asNumber],
  ['HOST', 'server.host', (v) => v],
  ['UPSTREAM_BASE_URL', 'upstream.base_url', (v) => v],
  ['UPSTREAM_API_KEY', 'upstream.api_key', (v) => v],
  ['UPSTREAM_ORGANIZATION', 'upstream.organization', (v) => v],
  ['UPSTREAM_PROJECT', 'upstream.project', (v) => v],
  ['REDIS_URL', 'store.redis_url', (v) => v],
  ['TOLLGATE_DATA_DIR', 'store.data_dir', (v) => v],
  ['REDIS_CLUSTER_NODES', 'store.cluster_nodes', (v) => v.split(',').map((s) => s.trim()).filter(Boolean)],
  ['TOLLGATE_ADMIN_KEY', 'admin_key', (v) => v],
  ['MONTHLY_MESSAGE_CREDIT_LIMIT', 'limits.message_credits_per_month', asNumber],
  ['TOLLGATE_FAIL_MODE', 'fail_mode', (v) => v],
  ['TOLLGATE_ENFORCEMENT', 'enforcement', (v) => v],
  ['LOG_LEVEL', 'log_level', (v) => v],
  ['TOLLGATE_JOURNAL', 'journal.file', (v) => v],
];

function problemsOf(error: ZodError, file: string): string[] {
  return error.issues.map((i) => `${file}: ${i.path.join('.') || '(root)'}: ${i.message}`);
}

function readYaml(file: string, problems: string[]): Tree {
  try {
    const doc: unknown = parseYaml(readFileSync(file, 'utf8'));
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      problems.push(`${file}: must be a YAML mapping`);
      return {};
    }
    return doc as Tree;
  } catch (e) {
    problems.push(`${file}: ${(e as Error).message}`);
    return {};
  }
}

/**
 * Reads, overrides and validates the configuration. `overrides` (dotted paths, e.g.
 * `{'limits.tokens_per_day': 10}`) are applied after the environment; tests use them.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd(), overrides: Readonly<Record<string, unknown>> = {}): Config {
  const file = path.resolve(cwd, env.TOLLGATE_CONFIG ?? 'config/gateway.yaml');
  const problems: string[] = [];
  const tree = readYaml(file, problems);
  for (const [name, field, convert] of OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== '') set(tree, field, convert(value));
  }
  if (!env.UPSTREAM_API_KEY && env.OPENAI_API_KEY) set(tree, 'upstream.api_key', env.OPENAI_API_KEY);
  for (const [field, value] of Object.entries(overrides)) set(tree, field, value);

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) problems.push(...problemsOf(parsed.error, file));

  const pricesPath = path.resolve(path.dirname(file), parsed.success ? parsed.data.metering.prices_file : 'prices.yaml');
  const rawPrices = pricesSchema.safeParse(readYaml(pricesPath, problems));
  if (!rawPrices.success) problems.push(...problemsOf(rawPrices.error, pricesPath));

  const webhooks = (parsed.success ? parsed.data.webhooks : []).map((w, i) => {
    const secret = env[w.secret_env] ?? '';
    if (secret.length < 16) problems.push(`${file}: webhooks.${i}.secret_env: ${w.secret_env} must hold a secret of at least 16 characters`);
    return { ...w, secret };
  });

  const upstreams = parsed.success ? upstreamsOf(parsed.data.upstreams, env, `${file}: upstreams`, problems) : [];

  if (problems.length > 0 || !parsed.success || !rawPrices.success) throw new ConfigError(problems);
  return deepFreeze({ ...parsed.data, webhooks, upstreams, prices: createPriceTable(rawPrices.data.models), source: file });
}

/** Keys from the environment; names unique, at most one default, fallbacks that exist and speak the same format. */
function upstreamsOf(raw: RawConfig['upstreams'], env: Env, where: string, problems: string[]): UpstreamEntry[] {
  const kinds = new Map(raw.map((u) => [u.name, u.kind]));
  if (kinds.size < raw.length) problems.push(`${where}: names must be unique`);
  if (raw.filter((u) => u.default).length > 1) problems.push(`${where}: at most one upstream may be default: true`);
  return raw.map((u, i) => {
    for (const f of u.fallback) {
      if (!kinds.has(f) || f === u.name) problems.push(`${where}.${i}.fallback: '${f}' is not another configured upstream`);
      else if (kinds.get(f) !== u.kind) problems.push(`${where}.${i}.fallback: '${f}' is not of kind ${u.kind}`);
    }
    let apiKey: string | null = null;
    if (u.api_key_env !== undefined) {
      apiKey = env[u.api_key_env] ?? '';
      if (apiKey === '') problems.push(`${where}.${i}.api_key_env: ${u.api_key_env} is not set`);
    }
    return { ...u, apiKey };
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
