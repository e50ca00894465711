// The embedded store's ledger of one user: records in the order they were written, each with an
// id like a Redis Stream's (`<ms>-<seq>`, increasing), paged by binary search so every page costs
// O(log n + limit) however long the ledger is. Keeps the newest LEDGER_MAX records, as Redis does.
import { LEDGER_MAX } from './keys.js';
import type { LedgerEntry, LedgerPageQuery, LedgerRecord } from './types.js';

export interface LedgerRow { ms: number; seq: number; record: LedgerRecord }
type Row = LedgerRow;

const parseId = (id: string): [number, number] => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(id);
  if (!m) throw new Error(`'${id}' is not a ledger record id`);
  return [Number(m[1]), Number(m[2] ?? 0)];
};

export interface LedgerLog {
  append(record: LedgerRecord, now: number): void;
  newest(limit: number): LedgerRecord[];
  page(q: LedgerPageQuery): { entries: LedgerEntry[]; next: string | null };
  /** The rows as data, for a snapshot (durable/); createLedgerLog(rows) restores them. */
  toJSON(): { $ledger: LedgerRow[] };
}

export function createLedgerLog(rows: Row[] = []): LedgerLog {
  /** The index of the first row after (ms, seq). */
  const after = (ms: number, seq: number): number => {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = rows[mid] as Row;
      if (r.ms < ms || (r.ms === ms && r.seq <= seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const entry = (r: Row): LedgerEntry => ({ id: `${r.ms}-${r.seq}`, record: r.record });

  return {
    append(record, now) {
      const last = rows.at(-1);
      const ms = last && last.ms >= now ? last.ms : now;
      rows.push({ ms, seq: last && last.ms === ms ? last.seq + 1 : 0, record });
      // Trimmed in batches: a splice per settle would shift the whole array every time.
      if (rows.length > LEDGER_MAX * 1.25) rows.splice(0, rows.length - LEDGER_MAX);
    },
    toJSON: () => ({ $ledger: rows }),
    newest: (limit) => rows.slice(-limit).reverse().map((r) => r.record),
    page({ cursor, from, limit }) {
      let slice: Row[];
      if (from !== null) {
        const start = cursor !== null ? after(...parseId(cursor)) : after(from, -1);
        slice = rows.slice(start, start + limit + 1);
      } else {
        // Rows strictly before the cursor: up to the first row at or past it.
        const [ms, seq] = cursor !== null ? parseId(cursor) : [Infinity, 0];
        const end = cursor !== null ? after(ms, seq - 1) : rows.length;
        slice = rows.slice(Math.max(0, end - limit - 1), Math.max(0, end)).reverse();
      }
      const more = slice.length > limit;
      const entries = slice.slice(0, limit).map(entry);
      return { entries, next: more ? (entries.at(-1)?.id ?? null) : null };
    },
  };
}
