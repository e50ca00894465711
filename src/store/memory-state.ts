// What the embedded store holds, as plain data: every user's counters, trees, reservations and
// ledger, and the deployment's records. durable/ snapshots MemoryState, so state kept anywhere
// else would be lost at the next compaction.
import type { Dimension, GrantDimension } from '../limits/vocabulary.js';
import type { StoredGrant } from './grants.js';
import { createLedgerLog, type LedgerLog } from './ledger-log.js';
import { emptyOutboxState, type OutboxState } from './memory-outbox.js';
import { emptyUsageState, type UsageState } from './memory-usage.js';
import type { CalibrationSample, KeyRecord, UserRecord } from './types.js';

// `marks`: the events already recorded for this counter's period or this tree (memory-outbox.ts).
export interface Counter { used: number; resv: number; expiresAt: number | null; marks?: string[] }
export interface Tree { root: string; limit: number | null; used: number; resv: number; marks?: string[] }
/** What a reservation took on account of grants: per dimension, the amount and the counters (with limits) it overflows. */
export interface GrantHold { dim: GrantDimension; need: number }
/** A grant dimension's counter keeps its limit: settle measures what the usage went past it. */
export interface Held { counters: Array<{ key: string; dimension: Dimension; amount: number; limit?: number }>; root: string | null; convAmount: number; expiresAt: number; grants: GrantHold[] }
export interface UserState {
  counters: Map<string, Counter>;
  trees: Map<string, Tree>;
  held: Map<string, Held>;
  inflight: Map<string, number>;
  done: Map<string, number>;
  ledger: LedgerLog;
  grants: Map<string, StoredGrant>;
  /** What requests in flight hold of each dimension's grants. */
  grantResv: Record<string, number>;
}

/**
 * Everything the store holds, in one object of plain data, Maps and ledgers: durable/ snapshots
 * this object, so state kept anywhere else would be lost at the next compaction.
 */
export interface MemoryState {
  users: Map<string, UserState>;
  records: Map<string, UserRecord>;
  keys: Map<string, KeyRecord>;
  keyIds: Map<string, string>; // keyId -> digest
  settings: Readonly<Record<string, number | null>>;
  created: Map<string, { minute: number; count: number }>; // creator -> users made this minute
  calibration: Map<string, CalibrationSample>; // model -> prompt calibration
  usage: UsageState; // per-day rollups and the usage index (memory-usage.ts)
  outbox: OutboxState; // events and their webhook deliveries
}

export const emptyMemoryState = (): MemoryState => ({
  users: new Map(), records: new Map(), keys: new Map(), keyIds: new Map(), settings: {}, created: new Map(), calibration: new Map(), usage: emptyUsageState(), outbox: emptyOutboxState(),
});

export const emptyUserState = (): UserState => ({
  counters: new Map(), trees: new Map(), held: new Map(), inflight: new Map(), done: new Map(), ledger: createLedgerLog(), grants: new Map(), grantResv: {},
});

/** What a user the store has never seen reads as. */
export const EMPTY: UserState = emptyUserState();
