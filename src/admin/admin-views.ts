// What the admin API shows of users, keys and ledger records.
import type { KeyRecord, LedgerEntry, LedgerRecord, UserRecord } from '../store/types.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const userView = (u: UserRecord) => ({
  id: u.id, limits: u.limits, allowed_models: u.allowedModels, disabled: u.disabled, createdAt: iso(u.createdAt),
  plan: u.plan ?? null, time_zone: u.timeZone ?? null, month_anchor_day: u.monthAnchorDay ?? null,
  ...(u.createdBy ? { created_by: u.createdBy } : {}),
});

export const keyView = (k: KeyRecord) => ({
  keyId: k.keyId, prefix: k.prefix, name: k.name, createdAt: iso(k.createdAt), expiresAt: iso(k.expiresAt), lastUsedAt: iso(k.lastUsedAt ?? null),
  ...(k.role ? { role: k.role } : { limits: k.limits ?? {} }),
});

export const recordView = (r: LedgerRecord) => ({
  ...r, time: iso(r.time), anomaly: r.anomaly ?? null, reservationId: r.reservationId ?? r.requestId,
});

// New columns go before `id`, which stays last (the cursor readers take it from there).
const CSV_COLUMNS = ['requestId', 'time', 'user', 'model', 'conversation', 'promptTokens', 'completionTokens', 'cachedTokens',
  'reasoningTokens', 'costMicros', 'outcome', 'estimated', 'anomaly', 'reservationId', 'upstream', 'cacheWriteTokens', 'id'] as const;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  // Quote anything with a separator, and defuse spreadsheet formulas.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Rows as CSV with these columns. */
export function csvTable(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n')}\n`;
}

/** Records as CSV; the record id comes last, so columns read by position stay where they were. */
export function ledgerCsv(entries: readonly LedgerEntry[]): string {
  return csvTable(CSV_COLUMNS, entries.map((e) => ({ ...recordView(e.record), id: e.id })));
}
