// The Store contract. Two implementations keep the same semantics: RedisStore (Lua scripts,
// one script call per reserve and per settle) and MemoryStore (embedded, single process).
// test/store/contract.ts runs one suite against both.
import type { Threshold } from '../limits/thresholds.js';
import type { Calendar } from '../limits/calendar.js';
import type { Dimension, GrantDimension, LimitedDimension, Window, Scope } from '../limits/vocabulary.js';
import type { Outbox } from './outbox.js';

export type Enforcement = 'hard' | 'soft';

/** One counter a request touches: tracked always, enforced when `limit` is a number. */
export interface CounterCheck {
  readonly dimension: Dimension;
  readonly window: Window;
  readonly limit: number | null;
  /** Amount reserved whatever the output length (1 request, the prompt's tokens, the prompt's cost). */
  readonly fixed: number;
  /** Amount per output token (1 for tokens, price in micros per token for spend, 0 otherwise). */
  readonly perOutput: number;
  /** Set for a key's own limit: the counter is that key's (kept under its user's hash tag), its state `scope: 'key'`. */
  readonly keyId?: string;
  /** Points of a limited counter whose crossing at settle records a `threshold` event (none: no events). */
  readonly thresholds?: readonly Threshold[];
}

export interface ConversationRef {
  readonly id: string;
  readonly parentId: string | null;
  /** Budget set on a root's first request (micros); ignored once the tree exists. */
  readonly budgetMicros: number | null;
}

export interface ReserveRequest {
  readonly userId: string;
  readonly requestId: string;
  readonly checks: readonly CounterCheck[];
  /** The output ceiling the request asked for (or the configured default). */
  readonly maxOutput: number;
  /** In hard mode, a request that can afford fewer output tokens than this is refused. */
  readonly minOutput: number;
  readonly mode: Enforcement;
  readonly parallelLimit: number | null;
  /** A reservation (and its concurrency slot) expires after this long if never settled. */
  readonly ttlMs: number;
  readonly conversation: ConversationRef | null;
  /** Spend a tree's budget is charged for this request (the same figures as the spend checks). */
  readonly spend: { readonly fixed: number; readonly perOutput: number; readonly priced: boolean };
  /** The user's zone and month anchor, which day, week and month windows follow (absent: UTC, the 1st). */
  readonly calendar?: Calendar;
}

/** Where one limit stands. `reserved` counts in-flight reservations, this one included. */
export interface LimitState {
  readonly dimension: Dimension | 'parallel';
  readonly window: Window | 'instant';
  readonly scope: Scope;
  readonly limit: number;
  readonly used: number;
  readonly reserved: number;
  /** ms since epoch; null for lifetime limits and concurrency. */
  readonly resetsAt: number | null;
}

export type ReserveResult =
  | { readonly ok: true; readonly output: number; readonly states: readonly LimitState[]; readonly conversationRoot: string | null }
  | {
      readonly ok: false;
      readonly denied: LimitState;
      readonly states: readonly LimitState[];
      /** The tree has a budget but the model has no price: refused rather than served for free. */
      readonly unpriced?: boolean;
    };

/** What a settle charges. `failed_requests` (reported, never limited) is absent from a journal line written before it existed: 0. */
export type Amounts = Readonly<Record<LimitedDimension, number>> & { readonly failed_requests?: number };

export type Outcome = 'ok' | 'aborted' | 'upstream_error' | 'released' | 'reset' | 'grant';

export interface LedgerRecord {
  readonly requestId: string;
  /** The id the store kept the reservation under, when it is not `requestId` (a client's own X-Request-Id). */
  readonly reservationId?: string;
  readonly time: number;
  readonly user: string;
  readonly model: string | null;
  readonly conversation: string | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
  /** Prompt tokens written to the provider's cache (Anthropic), when any. */
  readonly cacheWriteTokens?: number;
  readonly reasoningTokens: number;
  readonly costMicros: number;
  readonly outcome: Outcome;
  /** True when usage was estimated (the provider sent none). */
  readonly estimated: boolean;
  /** The upstream that served it, when several are configured. */
  readonly upstream?: string;
  /** Set when the provider's figures were not believed, e.g. `usage_capped` for an absurd count. */
  readonly anomaly?: string | null;
  /** On a settle: what of the usage was taken from grants, by dimension (absent = nothing). */
  readonly fromGrants?: Readonly<Partial<Record<GrantDimension, number>>> | null;
  /** On a grant's own record (outcome `grant`): the grant added. */
  readonly grant?: GrantSpec | null;
}

/** A grant as the admin API gives it: extra allowance, spent after the period's, kept across periods. */
export interface GrantSpec {
  readonly id: string;
  readonly dimension: GrantDimension;
  readonly amount: number;
  /** ms since epoch; null = never. */
  readonly expiresAt: number | null;
}

/** A grant and where it stands. `reserved` is what requests in flight hold of it. */
export interface GrantState extends GrantSpec {
  readonly used: number;
  readonly reserved: number;
  readonly createdAt: number;
}

export interface SettleRequest {
  readonly userId: string;
  readonly requestId: string;
  /** The counters the reservation covered, so a settle whose reservation expired still lands. */
  readonly checks: readonly CounterCheck[];
  readonly actual: Amounts;
  /** The tree's root (or a conversation in it: the store resolves the root when the reservation is gone). */
  readonly conversationRoot: string | null;
  readonly record: LedgerRecord;
  readonly calendar?: Calendar;
}

export interface PeekRequest {
  readonly userId: string;
  readonly checks: readonly CounterCheck[];
  readonly parallelLimit: number | null;
  readonly conversationId: string | null;
  readonly calendar?: Calendar;
}

/** A page of one user's ledger: backward from now (newest first) or forward from a time (oldest first). */
export interface LedgerPageQuery {
  readonly userId: string;
  /** Continue after this record id (exclusive), in the page's direction; null = from the start. */
  readonly cursor: string | null;
  /** Forward (oldest first) from this time, ms since epoch; null = backward from now (newest first). */
  readonly from: number | null;
  readonly limit: number;
}

/** A ledger record and its id: `<ms>-<seq>`, increasing in the order records were written. */
export interface LedgerEntry {
  readonly id: string;
  readonly record: LedgerRecord;
}

/** Days of history, from the rollups settle keeps: one user's, or the whole deployment's. */
export interface HistoryQuery {
  /** null: the whole deployment. */
  readonly userId: string | null;
  /** First and last day wanted (any ms within them), inclusive. */
  readonly from: number;
  readonly to: number;
}

/** A page of users ordered by their usage of one dimension in the period holding `at`. */
export interface RankingQuery {
  readonly window: 'day' | 'month';
  readonly dimension: Dimension;
  readonly at: number;
  readonly offset: number;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
}

export interface Ranking {
  /** Users with usage in the period. */
  readonly total: number;
  readonly entries: ReadonlyArray<{ readonly userId: string; readonly value: number }>;
}

export interface SettleResult {
  /** false when this request id was settled before: nothing changed. */
  readonly applied: boolean;
  /**
   * Asked for with `confirm` on a store that waits for replicas (Redis, store.settle_replicas):
   * false when they did not confirm this settle in time (a failover could still lose it).
   */
  readonly replicated?: boolean;
}

export interface SettleOptions {
  /** Wait for the replicas the store is configured to wait for (a journal replay does not). */
  readonly confirm?: boolean;
}

/**
 * How a model's provider counted prompts against Tollgate's own count (see
 * plan/prompt/calibration.ts). Recording merges: the two maxima are raised, samples added.
 */
export interface CalibrationSample {
  readonly model: string;
  /** Largest reported ÷ counted seen, in thousandths (prompts of 256 tokens or more). */
  readonly ratioPermille: number;
  /** Largest reported − counted seen, in tokens (smaller prompts). */
  readonly surplus: number;
  readonly samples: number;
}

export interface UserRecord {
  readonly id: string;
  readonly limits: Readonly<Record<string, number | null>>;
  readonly allowedModels: readonly string[] | null;
  readonly disabled: boolean;
  readonly createdAt: number;
  /** The service key that created this end user on first sight (absent for users an admin made). */
  readonly createdBy?: string;
  /** A plan in config `plans`: its limits are this user's defaults. */
  readonly plan?: string | null;
  /** IANA time zone the user's day, week and month windows follow; absent or null = the plan's or the default. */
  readonly timeZone?: string | null;
  /** Day (1-31) the user's monthly windows start on; absent or null = the plan's or the default. */
  readonly monthAnchorDay?: number | null;
}

export interface KeyRecord {
  readonly keyId: string;
  readonly userId: string;
  readonly prefix: string;
  readonly name: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revoked?: boolean;
  /** The key's own limits, checked in the same reservation as its user's (null: none). */
  readonly limits?: Readonly<Record<string, number | null>>;
  /** A service key acts for the end user each request names; it belongs to no user. */
  readonly role?: 'service';
  /**
   * When a request last authenticated with this key (ms), as recorded by recordKeyUse: read by
   * listKeys and keyById only (the request path never reads it). Absent: never used.
   */
  readonly lastUsedAt?: number;
}

/** The owner id service keys are filed under: no user id can take it (`*` is not an id character). */
export const SERVICE_KEY_OWNER = '*service';

/** A cap on users one creator (a service key) may create in a minute. */
export interface CreationCap {
  readonly by: string;
  readonly perMinute: number;
}

export interface StoreEpoch {
  readonly id: string;
  /** True when this call found no marker and made this one. */
  readonly created: boolean;
}

/** Told of reservations a store released because they expired unsettled (a gateway crashed or lost them). */
export type OnReclaim = (userId: string, requestIds: readonly string[]) => void;

export interface Store {
  readonly kind: 'memory' | 'redis';
  reserve(req: ReserveRequest): Promise<ReserveResult>;
  settle(req: SettleRequest, options?: SettleOptions): Promise<SettleResult>;
  /** Where each counter stands now, reserving nothing. */
  peek(query: PeekRequest): Promise<LimitState[]>;
  ledger(userId: string, limit: number): Promise<LedgerRecord[]>;
  /** One page of a user's ledger; `next` is the cursor of the following page, null at the end. Each page costs O(log n + limit). */
  ledgerPage(query: LedgerPageQuery): Promise<{ entries: LedgerEntry[]; next: string | null }>;

  /** Days with usage in the range, oldest first (O(days), never O(ledger records)). */
  history(query: HistoryQuery): Promise<DayUsage[]>;
  /** Users by usage from the index settle keeps: O(log n + offset + limit), never a read of every user. */
  usageRanking(query: RankingQuery): Promise<Ranking>;

  getUser(id: string): Promise<UserRecord | null>;
  putUser(user: UserRecord): Promise<void>;
  /**
   * Creates a user unless one with its id exists: a burst of first sightings creates it once.
   * With a cap, at most `perMinute` users per creator per minute are created ('limited' past it).
   */
  createUser(user: UserRecord, cap: CreationCap | null): Promise<'created' | 'exists' | 'limited'>;
  /** Stores a key under its SHA-256 digest; the key itself is never stored. */
  putKey(digest: string, key: KeyRecord): Promise<void>;
  keyByDigest(digest: string): Promise<KeyRecord | null>;
  /** Users in id order after `cursor` (exclusive), at most `limit`; `next` is the cursor of the next page. */
  listUsers(cursor: string | null, limit: number): Promise<{ users: UserRecord[]; next: string | null }>;
  /** Removes a user and revokes its keys; false when there was no such user. */
  deleteUser(id: string): Promise<boolean>;
  listKeys(userId: string): Promise<KeyRecord[]>;
  /** A key by id; null when there is no such key (or it was revoked). */
  keyById(keyId: string): Promise<KeyRecord | null>;
  /** Sets a key's own limits; null when there is no such key (or it was revoked). */
  setKeyLimits(keyId: string, limits: Readonly<Record<string, number | null>>): Promise<KeyRecord | null>;
  /** Revokes a key by id; false when there was no such key. */
  revokeKey(keyId: string): Promise<boolean>;
  /**
   * Records when keys were last used, many at once (the gateway gathers them: auth/key-use.ts).
   * A time earlier than the one stored changes nothing (replicas flush in any order); a key that
   * is unknown or revoked is not brought back.
   */
  recordKeyUse(uses: ReadonlyArray<readonly [keyId: string, at: number]>): Promise<void>;
  /**
   * Adds a grant and its ledger record in one step, unless a grant with this id exists (a retried
   * webhook adds one grant): then nothing changes and the existing grant is returned.
   */
  addGrant(userId: string, grant: GrantSpec, record: LedgerRecord): Promise<{ readonly created: boolean; readonly grant: GrantState }>;
  /** A user's grants, in the order they are spent (soonest expiry first, then oldest). */
  listGrants(userId: string): Promise<GrantState[]>;
  /** Zeroes these counters for their current periods and records the reset in the ledger, in one step. */
  resetCounters(userId: string, checks: readonly CounterCheck[], record: LedgerRecord, calendar?: Calendar): Promise<void>;
  getSettings(): Promise<Readonly<Record<string, number | null>>>;
  /** Prompt calibration, shared by every replica: merged into what is stored (maxima raised, samples added). */
  recordCalibration(samples: readonly CalibrationSample[]): Promise<void>;
  calibration(): Promise<CalibrationSample[]>;
  putSettings(limits: Readonly<Record<string, number | null>>): Promise<void>;

  /** Events recorded by reserve and settle, and their webhook deliveries. */
  readonly outbox: Outbox;

  ping(): Promise<void>;
  /**
   * The store's marker: made by the first gateway that finds none (`created`), kept as long as the
   * store keeps its data. A marker that is gone or changed means the store was emptied.
   */
  epoch(): Promise<StoreEpoch>;
  close(): Promise<void>;
}

/** The figures of a per-day rollup, in the order the Lua scripts write them (store/rollup.ts). */
export const ROLLUP_FIELDS = ['requests', 'messages', 'tokens', 'tokens_in', 'tokens_out', 'tokens_cached', 'tokens_reasoning', 'spend_micros'] as const;
export type RollupField = (typeof ROLLUP_FIELDS)[number];
export type Rollup = Record<RollupField, number>;

/** A day's rollup: the totals, and the same per model. */
export interface DayUsage {
  /** The day's start, ms since epoch (UTC). */
  readonly day: number;
  readonly totals: Rollup;
  readonly models: Readonly<Record<string, Rollup>>;
}
