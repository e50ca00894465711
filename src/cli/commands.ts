// The CLI's commands, each one admin API call (or two) and a way to show its answer.
import type { CliConfig } from './cli-config.js';
import { table } from './table.js';

type Json = Record<string, unknown>;
export type Api = (method: string, path: string, body?: unknown) => Promise<Json>;

export function createApi(config: CliConfig): Api {
  return async (method, path, body) => {
    const r = await fetch(config.url + path, {
      method, headers: { authorization: `Bearer ${config.adminKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    const json = (text ? JSON.parse(text) : {}) as Json;
    if (!r.ok) throw new Error(`${r.status}: ${((json.error as Json | undefined)?.message as string | undefined) ?? text}`);
    return json;
  };
}

/** `--tokens-per-day 500000` style flags, and `name=value` words, as a limits object. */
export function limitsFrom(flags: Readonly<Record<string, string | true>>, words: readonly string[] = []): Record<string, number | null> {
  const limits: Record<string, number | null> = {};
  const put = (name: string, value: string) => {
    if (value === 'null' || value === 'default') limits[name] = null;
    else if (/^\d+$/.test(value)) limits[name] = Number(value);
    else throw new Error(`${name}: '${value}' is not a non-negative integer (or null)`);
  };
  for (const [flag, value] of Object.entries(flags)) {
    if (['url', 'admin-key', 'json', 'name', 'window', 'user', 'limit'].includes(flag)) continue;
    if (value === true) throw new Error(`--${flag} needs a value`);
    put(flag.replaceAll('-', '_'), value);
  }
  for (const w of words) {
    const m = /^([a-z_]+)=(.*)$/.exec(w);
    if (!m) throw new Error(`'${w}' is not name=value`);
    put(m[1] as string, m[2] as string);
  }
  return limits;
}

export interface Output {
  json: unknown;
  text: string;
}

export async function run(api: Api, words: readonly string[], flags: Readonly<Record<string, string | true>>): Promise<Output> {
  const [group, action, ...rest] = words;
  const arg = (i: number, what: string) => {
    const v = rest[i];
    if (!v) throw new Error(`missing ${what}`);
    return v;
  };
  switch (`${group ?? ''} ${action ?? ''}`.trim()) {
    case 'users create': {
      const u = await api('POST', '/admin/users', { id: arg(0, 'user id'), limits: limitsFrom(flags) });
      return { json: u, text: `created user ${u.id as string} ${JSON.stringify(u.limits)}` };
    }
    case 'users list': {
      const r = await api('GET', '/admin/users?limit=500');
      return { json: r, text: table(r.users as Json[], ['id', 'disabled', 'limits', 'createdAt']) };
    }
    case 'users delete': {
      await api('DELETE', `/admin/users/${encodeURIComponent(arg(0, 'user id'))}`);
      return { json: { deleted: rest[0] }, text: `deleted user ${rest[0] as string}` };
    }
    case 'keys create': {
      const k = await api('POST', `/admin/users/${encodeURIComponent(arg(0, 'user id'))}/keys`, typeof flags.name === 'string' ? { name: flags.name } : {});
      return { json: k, text: `key ${k.keyId as string} for ${k.userId as string} (shown once, keep it now):\n${k.key as string}` };
    }
    case 'keys list': {
      const r = await api('GET', `/admin/users/${encodeURIComponent(arg(0, 'user id'))}/keys`);
      return { json: r, text: table(r.keys as Json[], ['keyId', 'prefix', 'name', 'createdAt', 'expiresAt']) };
    }
    case 'keys revoke': {
      await api('DELETE', `/admin/keys/${encodeURIComponent(arg(0, 'key id'))}`);
      return { json: { revoked: rest[0] }, text: `revoked ${rest[0] as string}` };
    }
    case 'limits set': {
      const u = await api('PATCH', `/admin/users/${encodeURIComponent(arg(0, 'user id'))}`, { limits: limitsFrom({}, rest.slice(1)) });
      return { json: u, text: `${u.id as string}: ${JSON.stringify(u.limits)}` };
    }
    case 'usage': {
      const window = typeof flags.window === 'string' ? flags.window : 'day';
      const r = await api('GET', `/admin/usage?window=${encodeURIComponent(window)}&limit=1000`);
      return { json: r, text: table(r.users as Json[], ['id', 'requests', 'messages', 'tokens', 'credits', 'spend_micros', 'limits']) };
    }
    case 'ledger': {
      const q = new URLSearchParams({ limit: typeof flags.limit === 'string' ? flags.limit : '50', ...(typeof flags.user === 'string' ? { user: flags.user } : {}) });
      const r = await api('GET', `/admin/ledger?${q}`);
      return { json: r, text: table(r.records as Json[], ['time', 'user', 'model', 'promptTokens', 'completionTokens', 'costMicros', 'outcome']) };
    }
    default:
      throw new Error(`unknown command '${words.join(' ')}'; try: users create|list|delete, keys create|list|revoke, limits set, usage, ledger`);
  }
}
