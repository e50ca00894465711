// The integrity tests' figures, collected for `npm run verify:integrity`.
import { recordFigures } from './figures.js';

export interface IntegrityFigures {
  scenario: string;
  sent: number;
  succeeded: number;
  rejected: number;
  overspend: number;
  ledgerRecords: number;
  ledgerSum: number;
  counters: number;
  lost: number;
  doubled: number;
  /** The binding limit's share used once the burst is over (tokens or spend, whichever is more used), in %. */
  budgetUsed?: string;
  /** Prompt estimate ÷ the provider's prompt tokens, where the upstream counts prompts as a provider does. */
  estimateRatio?: string;
  /** From the first to the last request refused because the store was unavailable, in seconds. */
  unavailableSeconds?: string;
}

export function reportIntegrity(f: IntegrityFigures): void {
  recordFigures('INTEGRITY_REPORT', { ...f });
}
