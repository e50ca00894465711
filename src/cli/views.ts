// How the CLI shows users, usage, keys, ledger records and history as tables.
import { DIMENSION_INFO, DIMENSIONS, LIMIT_NAMES, PARALLEL_LIMIT, type Dimension } from '../limits/vocabulary.js';
import type { Json } from './api.js';
import { table, text, type Column } from './table.js';
import { count, usd, when } from './units.js';

const num = (field: string, title: string, fmt: (n: number) => string = count): Column =>
  ({ title, right: true, cell: (r) => (typeof r[field] === 'number' ? fmt(r[field]) : '-') });
const fmtFor = (field: string) => (LIMIT_NAMES.find((l) => l.name === field && DIMENSION_INFO[l.dimension].money) ? usd : count);

/** Users with each limit any of them sets as a column of its own. */
export function usersTable(users: Json[]): string {
  const set = new Set(users.flatMap((u) => Object.keys((u.limits as Json | undefined) ?? {})));
  const limitCols: Column[] = [...LIMIT_NAMES.map((l) => l.name), PARALLEL_LIMIT].filter((n) => set.has(n)).map((n) => ({
    title: n, right: true, cell: (r) => { const v = (r.limits as Json)[n]; return typeof v === 'number' ? fmtFor(n)(v) : ''; },
  }));
  return table(users, [text('id'), { title: 'disabled', cell: (r) => (r.disabled ? 'yes' : '') }, ...limitCols, { title: 'created', cell: (r) => when(r.createdAt) }]);
}

/** The registry's dimensions as usage columns, each followed by those counted inside it (failed beside requests). */
const USAGE_DIMS: readonly Dimension[] = DIMENSIONS.filter((d) => DIMENSION_INFO[d].partOf === null)
  .flatMap((d) => [d, ...DIMENSIONS.filter((p) => DIMENSION_INFO[p].partOf === d)]);

/** Usage per user: each dimension, and its limit in the next column when any user has one. */
export function usageTable(users: Json[]): string {
  const cols: Column[] = [text('id')];
  for (const dim of USAGE_DIMS) {
    const { label: title, money } = DIMENSION_INFO[dim];
    const fmt = money ? usd : count;
    cols.push(num(dim, title, fmt));
    if (users.some((u) => typeof (u.limits as Json | undefined)?.[dim] === 'number')) {
      cols.push({ title: `${title} limit`, right: true, cell: (r) => { const v = (r.limits as Json | undefined)?.[dim]; return typeof v === 'number' ? fmt(v) : '-'; } });
    }
  }
  return table(users, cols);
}

export const keysTable = (keys: Json[]): string => table(keys, [text('keyId', 'key id'), text('prefix'), text('name'),
  { title: 'created', cell: (r) => when(r.createdAt) }, { title: 'last used', cell: (r) => when(r.lastUsedAt) },
  { title: 'expires', cell: (r) => when(r.expiresAt) }]);

export const ledgerTable = (records: Json[]): string => table(records, [{ title: 'time', cell: (r) => when(r.time) }, text('user'), text('model'),
  num('promptTokens', 'in'), num('completionTokens', 'out'), num('costMicros', 'cost', usd), text('outcome')]);

export const historyTable = (days: Json[]): string => table(days, [text('date'), num('requests', 'requests'), num('messages', 'messages'),
  num('tokens_in', 'tokens in'), num('tokens_out', 'tokens out'), num('tokens_cached', 'cached'), num('tokens_reasoning', 'reasoning'),
  num('spend_micros', 'spend', usd)]);
