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
}

export function reportIntegrity(f: IntegrityFigures): void {
  recordFigures('INTEGRITY_REPORT', { ...f });
}
