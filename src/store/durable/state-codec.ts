// The memory store's state as snapshot records, and back. Generic over the state's shape (plain
// data, Maps, Sets, ledgers), so a field another change adds to it is kept without a change here;
// anything else (a function, a class) is refused loudly rather than dropped.
import { createLedgerLog, type LedgerRow } from '../ledger-log.js';
import { emptyMemoryState, type MemoryState } from '../memory.js';

export function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Map) return { $map: [...value.entries()] };
  if (value instanceof Set) return { $set: [...value.values()] };
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new Error(`the memory store's state holds a ${typeof value}, which a snapshot cannot keep`);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new Error(`the memory store's state holds a ${String((value as object).constructor?.name)}, which a snapshot cannot keep`);
  }
  return value;
}

export function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as { $map?: Array<[unknown, unknown]>; $set?: unknown[]; $ledger?: LedgerRow[] };
    if (v.$map) return new Map(v.$map);
    if (v.$set) return new Set(v.$set);
    if (v.$ledger) return createLedgerLog(v.$ledger);
  }
  return value;
}

/**
 * Snapshot records (written with `replacer`, read with `reviver`): one per entry of each Map in
 * the state (users, keys…), one per other field.
 */
export function* stateRecords(state: MemoryState): Generator<unknown> {
  for (const [field, value] of Object.entries(state)) {
    if (value instanceof Map) {
      for (const [k, v] of value as Map<unknown, unknown>) yield ['entry', field, k, v];
    } else {
      yield ['field', field, value];
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
      map.set(r[2], r[3]);
    } else if (r[0] === 'field') {
      state[r[1] as string] = r[2];
    } else {
      throw new Error(`unknown state record ${String(r[0])}`);
    }
  }
  return state as unknown as MemoryState;
}
