// GET /admin/ledger (and /admin/ledger.csv): the whole ledger, paged by cursor. Newest first by
// default; oldest first from `from` (a time). For one user the cursor is the last record's id;
// for all users it is `<user>/<id>`, users in id order, and a page visits at most USERS_PER_PAGE
// users, so every page costs about the same however many users and records there are.
import { Hono, type Context } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { badRequest } from '../core/errors.js';
import type { LedgerEntry, Store } from '../store/types.js';
import { ledgerCsv, recordView } from './admin-views.js';
import { intParam } from './params.js';
import { parseUserId } from './validate.js';

const USERS_PER_PAGE = 200;

interface Page { entries: LedgerEntry[]; next: string | null }

/** `from` (or its older name `since`): a time, ISO 8601 or milliseconds. */
function fromParam(c: Context<AppEnv>): number | null {
  const name = c.req.query('from') !== undefined ? 'from' : 'since';
  const raw = c.req.query(name);
  if (raw === undefined) return null;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw badRequest(`'${name}' must be an ISO 8601 time or milliseconds`, name);
  return ms;
}

const RECORD_ID = /^\d{1,20}-\d{1,20}$/;

/** Every user's records, user after user, from a cursor `<user>/<id>` (`<user>/` = that user from the start). */
async function allUsersPage(store: Store, cursor: string | null, from: number | null, limit: number): Promise<Page> {
  const [user, first] = cursor === null ? [null, ''] : (cursor.split('/', 2) as [string, string | undefined]);
  if (first === undefined || (first !== '' && !RECORD_ID.test(first))) throw badRequest("'cursor' is not a ledger cursor (<user>/<record id>)", 'cursor');
  if (user !== null) parseUserId(user, 'cursor');
  let id: string | null = first || null;
  const entries: LedgerEntry[] = [];
  let visited = 0;
  // Starting inside a user: finish that user first.
  let queue: string[] = user !== null ? [user] : [];
  let after: string | null = user;
  for (;;) {
    if (queue.length === 0) {
      const batch = await store.listUsers(after, visited >= USERS_PER_PAGE ? 1 : 100);
      queue = batch.users.map((u) => u.id);
      if (queue.length === 0) return { entries, next: null };
      after = queue.at(-1) as string;
    }
    const u = queue.shift() as string;
    if (visited++ >= USERS_PER_PAGE) return { entries, next: `${u}/` };
    const page = await store.ledgerPage({ userId: u, cursor: id || null, from, limit: limit - entries.length });
    id = null;
    entries.push(...page.entries);
    if (page.next !== null) return { entries, next: `${u}/${page.next}` };
    if (entries.length >= limit) {
      const following = queue[0] ?? (await store.listUsers(u, 1)).users[0]?.id;
      return { entries, next: following === undefined ? null : `${following}/` };
    }
  }
}

async function ledgerPage(store: Store, c: Context<AppEnv>): Promise<Page> {
  const limit = intParam(c.req.query('limit'), 'limit', 100, 10_000);
  const from = fromParam(c);
  const cursor = c.req.query('cursor') ?? null;
  const user = c.req.query('user');
  if (user === undefined) return allUsersPage(store, cursor, from, limit);
  if (cursor !== null && !RECORD_ID.test(cursor)) throw badRequest("'cursor' is not a ledger record id", 'cursor');
  return store.ledgerPage({ userId: parseUserId(user, 'user'), cursor, from, limit });
}

export function createLedgerRoutes(app: AppContext): Hono<AppEnv> {
  const admin = new Hono<AppEnv>();
  const csv = async (c: Context<AppEnv>) => {
    const page = await ledgerPage(app.store, c);
    return c.body(ledgerCsv(page.entries), 200, { 'content-type': 'text/csv; charset=utf-8', ...(page.next !== null ? { 'x-next-cursor': page.next } : {}) });
  };
  admin.get('/ledger.csv', csv);
  admin.get('/ledger', async (c) => {
    if (c.req.header('accept')?.includes('text/csv')) return csv(c);
    const page = await ledgerPage(app.store, c);
    return c.json({ records: page.entries.map((e) => ({ id: e.id, ...recordView(e.record) })), next: page.next });
  });
  return admin;
}
