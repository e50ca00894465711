// The CLI's commands, each one admin API call (or a few) and a way to show its answer.
import { ALL_LIMIT_FIELDS } from '../limits/vocabulary.js';
import type { Api, Json } from './api.js';
import { LIMIT_FLAGS, UsageError, type Flags } from './args.js';
import { historyTable, keysTable, ledgerTable, usageTable, usersTable } from './views.js';

export interface Output {
  json: unknown;
  text: string;
}

/** `--tokens-per-day 500000` style flags, and `name=value` words, as a limits object. */
export function limitsFrom(flags: Flags, words: readonly string[] = []): Record<string, number | null> {
  const limits: Record<string, number | null> = {};
  const put = (name: string, value: string) => {
    if (!ALL_LIMIT_FIELDS.includes(name)) throw new UsageError(`unknown limit '${name}'; known: ${ALL_LIMIT_FIELDS.join(', ')}`);
    if (value === 'null' || value === 'default') limits[name] = null;
    else if (/^\d+$/.test(value)) limits[name] = Number(value);
    else throw new UsageError(`${name}: '${value}' is not a non-negative integer (or null)`);
  };
  for (const flag of LIMIT_FLAGS) if (typeof flags[flag] === 'string') put(flag.replaceAll('-', '_'), flags[flag]);
  for (const w of words) {
    const m = /^([a-z_]+)=(.*)$/.exec(w);
    if (!m) throw new UsageError(`'${w}' is not name=value`);
    put(m[1] as string, m[2] as string);
  }
  return limits;
}

const str = (flags: Flags, name: string): string | undefined => (typeof flags[name] === 'string' ? flags[name] : undefined);
const query = (o: Record<string, string | undefined>) => new URLSearchParams(Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined)).toString();
const id = (s: string) => encodeURIComponent(s);

/** Runs a command; `write` receives lines as they come (ledger --all streams its pages). */
export async function run(api: Api, words: readonly string[], flags: Flags, write: (line: string) => void): Promise<Output | null> {
  const [group, action, ...rest] = words;
  const arg = (i: number, what: string) => {
    const v = rest[i];
    if (!v) throw new UsageError(`missing ${what}`);
    return v;
  };
  switch (`${group ?? ''} ${action ?? ''}`.trim()) {
    case 'users create': {
      const u = await api('POST', '/admin/users', { id: arg(0, 'user id'), limits: limitsFrom(flags) });
      return { json: u, text: `created user ${u.id as string}\n${usersTable([u])}` };
    }
    case 'users list': {
      const r = await api('GET', `/admin/users?${query({ limit: str(flags, 'limit') ?? '500', cursor: str(flags, 'cursor') })}`);
      return { json: r, text: usersTable(r.users as Json[]) + (r.next ? `\nmore: --cursor ${r.next as string}` : '') };
    }
    case 'users disable':
    case 'users enable': {
      const u = await api('PATCH', `/admin/users/${id(arg(0, 'user id'))}`, { disabled: action === 'disable' });
      return { json: u, text: `${action === 'disable' ? 'disabled' : 'enabled'} user ${u.id as string}` };
    }
    case 'users delete': {
      await api('DELETE', `/admin/users/${id(arg(0, 'user id'))}`);
      return { json: { deleted: rest[0] }, text: `deleted user ${rest[0] as string}` };
    }
    case 'keys create': {
      const limits = limitsFrom(flags);
      const body = { ...(str(flags, 'name') ? { name: str(flags, 'name') } : {}), ...(str(flags, 'expires-at') ? { expires_at: str(flags, 'expires-at') } : {}),
        ...(Object.keys(limits).length > 0 ? { limits } : {}) };
      const k = await api('POST', `/admin/users/${id(arg(0, 'user id'))}/keys`, body);
      return { json: k, text: `key ${k.keyId as string} for ${k.userId as string} (shown once, keep it now):\n${k.key as string}` };
    }
    case 'keys list': {
      const r = await api('GET', `/admin/users/${id(arg(0, 'user id'))}/keys`);
      return { json: r, text: keysTable(r.keys as Json[]) };
    }
    case 'keys revoke': {
      await api('DELETE', `/admin/keys/${id(arg(0, 'key id'))}`);
      return { json: { revoked: rest[0] }, text: `revoked ${rest[0] as string}` };
    }
    case 'keys limits': {
      const k = await api('PATCH', `/admin/keys/${id(arg(0, 'key id'))}`, { limits: limitsFrom({}, rest.slice(1)) });
      return { json: k, text: `limits of key ${k.keyId as string}: ${JSON.stringify(k.limits)}` };
    }
    case 'service-keys create': {
      const k = await api('POST', '/admin/service-keys', { name: arg(0, 'name') });
      return { json: k, text: `service key ${k.keyId as string} (shown once, keep it now):\n${k.key as string}` };
    }
    case 'service-keys list': {
      const r = await api('GET', '/admin/service-keys');
      return { json: r, text: keysTable(r.keys as Json[]) };
    }
    case 'limits set': {
      const u = await api('PATCH', `/admin/users/${id(arg(0, 'user id'))}`, { limits: limitsFrom({}, rest.slice(1)) });
      return { json: u, text: `limits of ${u.id as string}:\n${usersTable([u])}` };
    }
    case 'usage': {
      const r = await api('GET', `/admin/usage?${query({ window: str(flags, 'window') ?? 'day', sort: str(flags, 'sort') ?? 'spend_micros', limit: str(flags, 'limit') ?? '100' })}`);
      return { json: r, text: usageTable(r.users as Json[]) };
    }
    case 'history': {
      const r = await api('GET', `/admin/usage/history?${query({ user: str(flags, 'user'), model: str(flags, 'model'), from: str(flags, 'from'), to: str(flags, 'to') })}`);
      return { json: r, text: historyTable(r.days as Json[]) };
    }
    case 'ledger':
      return ledger(api, flags, write);
    default:
      throw new UsageError(`unknown command '${words.join(' ')}'`);
  }
}

async function ledger(api: Api, flags: Flags, write: (line: string) => void): Promise<Output | null> {
  const q = { user: str(flags, 'user'), from: str(flags, 'from'), limit: str(flags, 'limit') ?? (flags.all ? '1000' : '50') };
  if (!flags.all) {
    const r = await api('GET', `/admin/ledger?${query({ ...q, cursor: str(flags, 'cursor') })}`);
    return { json: r, text: ledgerTable(r.records as Json[]) + (r.next ? `\nmore: --cursor ${r.next as string}` : '') };
  }
  // --all: page after page until the cursor runs out; JSON lines (or table rows) as each page comes.
  let cursor = str(flags, 'cursor');
  let first = true;
  do {
    const r = await api('GET', `/admin/ledger?${query({ ...q, cursor })}`);
    const records = r.records as Json[];
    if (flags.json) for (const rec of records) write(JSON.stringify(rec));
    else if (records.length > 0) {
      const lines = ledgerTable(records).split('\n');
      for (const l of first ? lines : lines.slice(2)) write(l);
      first = false;
    }
    cursor = (r.next as string | null) ?? undefined;
  } while (cursor !== undefined);
  return null;
}
