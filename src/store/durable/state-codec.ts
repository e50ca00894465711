// The memory store's state as snapshot records, and back. Generic over the state's shape (plain
// data, Maps, Sets, ledgers), so a field another change adds to it is kept without a change here;
// anything else (a function, a class) is refused loudly rather than dropped. Ledger rows are
// plain records, passed through whole: they are most of the data, so they are never walked.
import { createLedgerLog, type LedgerLog, type LedgerRow } from '../ledger-log.js';
import { emptyMemoryState, type MemoryState } from '../memory.js';

const isLedger = (v: object): v is LedgerLog => typeof (v as Partial<LedgerLog>).toJSON === 'function' && typeof (v as Partial<LedgerLog>).page === 'function';

/** A value as plain JSON data: Maps, Sets and ledgers become tagged objects. */
export function toData(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
      throw new Error(`the memory store's state holds a ${typeof value}, which a snapshot cannot keep`);
    }
    return value;
  }
  if (Array.isArray(value)) return value.map(toData);
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [toData(k), toData(v)]) };
  if (value instanceof Set) return { $set: [...value].map(toData) };
  // The rows as they are now (a copy of the list; the records themselves never change).
  if (isLedger(value)) return { $ledger: value.toJSON().$ledger.slice() };
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new Error(`the memory store's state holds a ${String(value.constructor?.name)}, which a snapshot cannot keep`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toData(v);
  return out;
}

/** The inverse of toData. */
export function fromData(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fromData);
  const v = value as { $map?: Array<[unknown, unknown]>; $set?: unknown[]; $ledger?: LedgerRow[] };
  if (v.$map) return new Map(v.$map.map(([k, x]) => [fromData(k), fromData(x)]));
  if (v.$set) return new Set(v.$set.map(fromData));
  if (v.$ledger) return createLedgerLog(v.$ledger);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(value)) out[k] = fromData(x);
  return out;
}

/** Snapshot records: one per entry of each Map in the state (users, keys…), one per other field. */
export function* stateRecords(state: MemoryState): Generator<unknown> {
  for (const [field, value] of Object.entries(state)) {
    if (value instanceof Map) {
      for (const [k, v] of value as Map<unknown, unknown>) yield ['entry', field, toData(k), toData(v)];
    } else {
      yield ['field', field, toData(value)];
    }
  }
}

export function stateFromRecords(records: Iterable<unknown>): MemoryState {
  const state = emptyMemoryState() as unknown as Record<string, unknown>;
  for (const r of records) {
    if (!Array.isArray(r)) throw new Error('not a state record');
    if (r[0] === 'entry') {
      const map = state[r[1] as string];
      if (!(map instanceof Map)) throw new Error(`state field ${String(r[1])} is not a map`);
      map.set(fromData(r[2]), fromData(r[3]));
    } else if (r[0] === 'field') {
      state[r[1] as string] = fromData(r[2]);
    } else {
      throw new Error(`unknown state record ${String(r[0])}`);
    }
  }
  return state as unknown as MemoryState;
}
