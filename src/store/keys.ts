// Redis key layout (cluster-safe): everything one reserve or settle touches shares the hash tag
// `{u:<userId>}`. Admin records that span users (settings, key digests) live under plain keys,
// each read or written on its own.

export const KEY_VERSION = 'tg';

export function userPrefix(userId: string): string {
  return `${KEY_VERSION}:{u:${userId}}:`;
}

export function counterKey(userId: string, dimension: string, window: string, periodStartMs: number): string {
  return `${userPrefix(userId)}${dimension}:${window}:${Math.floor(periodStartMs / 1000)}`;
}

/**
 * The dimension name a counter is kept under: a key's own counters are `k:<keyId>:<dimension>`,
 * so they sit beside the user's under the same hash tag and one script checks both.
 */
export function scopedDimension(check: { readonly dimension: string; readonly keyId?: string }): string {
  return check.keyId === undefined ? check.dimension : `k:${check.keyId}:${check.dimension}`;
}

export const userRecordKey = (userId: string): string => `${userPrefix(userId)}user`;
export const userKeysKey = (userId: string): string => `${userPrefix(userId)}keys`;
/** Records kept per user ledger, in both stores (Redis trims approximately, so at least this many). */
export const LEDGER_MAX = 100_000;
/** Events kept in an outbox, delivered or not, in both stores (Redis: per Cluster slot stream, trimmed approximately). */
export const EVENTS_MAX = 100_000;
export const ledgerKey = (userId: string): string => `${userPrefix(userId)}ledger`;
export const keyDigestKey = (digest: string): string => `${KEY_VERSION}:key:${digest}`;
export const keyIdKey = (keyId: string): string => `${KEY_VERSION}:keyid:${keyId}`;
export const usersIndexKey = `${KEY_VERSION}:users`;
/** When each key was last used: member = key id, score = ms (one key, one slot; written in batches). */
export const keyUseKey = `${KEY_VERSION}:keys:used`;
/** Keys the whole deployment shares (usage index, deployment rollups): one hash tag, one slot. */
export const indexPrefix = `${KEY_VERSION}:{ix}:`;
export const usageIndexKey = (window: string, periodStartMs: number, dimension: string): string =>
  `${indexPrefix}usage:${window}:${Math.floor(periodStartMs / 1000)}:${dimension}`;
/** The deployment's rollup of a day (under indexPrefix); a user's before 2026-12-01 (under its prefix). */
export const historyKey = (prefix: string, dayStartMs: number): string => `${prefix}hist:${Math.floor(dayStartMs / 1000)}`;
/** A user's window hash (lua/common.lua): a UTC day's also holds the day's rollup, fields `h:<model>`. */
export const windowKey = (userId: string, window: string, periodStartMs: number): string => `${userPrefix(userId)}w:${window}:${Math.floor(periodStartMs / 1000)}`;
export const ROLLUP_FIELD = 'h:';
export const settingsKey = `${KEY_VERSION}:settings`;
/** The store's marker (see Store.epoch): gone after a restart that lost the data. */
export const epochKey = `${KEY_VERSION}:epoch`;
/** Users a creator (a service key) made in one minute. */
export const creationsKey = (creator: string, minute: number): string => `${KEY_VERSION}:created:${creator}:${minute}`;
/** Prompt calibration (one hash tag, so a Cluster can pipeline the three keys in one slot). */
export const calibrationKeys = {
  ratio: `${KEY_VERSION}:{calib}:ratio`, surplus: `${KEY_VERSION}:{calib}:surplus`, samples: `${KEY_VERSION}:{calib}:samples`,
} as const;
