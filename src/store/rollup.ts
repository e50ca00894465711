// Per-day rollups and the usage index: what a settle adds to a day's history, and how a rollup
// hash (Redis) reads back. The Lua scripts write the same figures in the same order (add_rollup).
import { DIMENSIONS, type Dimension } from '../limits/vocabulary.js';
import { ROLLUP_FIELDS, type Amounts, type DayUsage, type LedgerRecord, type Rollup } from './types.js';

export { ROLLUP_FIELDS, type DayUsage, type Rollup, type RollupField } from './types.js';

/** The dimensions the usage index sorts users by, in the order lua/index.lua takes them. */
export const ROLLUP_DIMS: readonly Dimension[] = DIMENSIONS;

/** History is kept this many days unless configured (store.history_days). */
export const HISTORY_DAYS = 400;

/** A ledger record without a model is rolled up under this name. */
export const NO_MODEL = '-';

export const emptyRollup = (): Rollup => ({ requests: 0, messages: 0, tokens: 0, tokens_in: 0, tokens_out: 0, tokens_cached: 0, tokens_reasoning: 0, spend_micros: 0 });

/** What one settled request adds: the counters' amounts, and the record's token split. */
export function rollupOf(actual: Amounts, record: LedgerRecord): Rollup {
  return {
    requests: actual.requests, messages: actual.messages, tokens: actual.tokens,
    tokens_in: record.promptTokens, tokens_out: record.completionTokens, tokens_cached: record.cachedTokens,
    tokens_reasoning: record.reasoningTokens, spend_micros: actual.spend_micros,
  };
}

export function addRollup(into: Rollup, add: Readonly<Rollup>): void {
  for (const f of ROLLUP_FIELDS) into[f] += add[f];
}

/**
 * Rollups as Redis keeps them (model -> its ROLLUP_FIELDS comma-separated) as a DayUsage; a model
 * in several is their sum.
 */
export function dayFromHashes(day: number, hashes: ReadonlyArray<Readonly<Record<string, string>>>): DayUsage {
  const totals = emptyRollup();
  const models: Record<string, Rollup> = {};
  for (const hash of hashes) {
    for (const [model, packed] of Object.entries(hash)) {
      const values = packed.split(',').map(Number);
      const r = emptyRollup();
      ROLLUP_FIELDS.forEach((f, i) => {
        r[f] = values[i] ?? 0;
      });
      const into = models[model];
      if (into) addRollup(into, r);
      else models[model] = r;
      addRollup(totals, r);
    }
  }
  return { day, totals, models };
}
